using System.Globalization;
using System.Text;
using System.Xml;
using Wasme.FilterTesting.Execution;

namespace Wasme.FilterTesting.Reporting;

/// <summary>JUnit XML, the report format CI systems (GitHub Actions, GitLab, Jenkins) display: a suite per test file.</summary>
public static class JUnitReport
{
    public static void Write(string path, IReadOnlyList<FileResult> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        try
        {
            File.WriteAllBytes(temporary, Render(files));
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>The report's bytes, for a caller that writes files its own way (the CLI keeps links and devices).</summary>
    public static byte[] Render(IReadOnlyList<FileResult> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) }))
        {
            writer.WriteStartElement("testsuites");
            writer.WriteAttributeString("name", "wasme test");
            // The totals are the suites' sums, each case counted once: an error (the case could not run) is not a failure.
            var cases = files.SelectMany(f => f.Cases).ToList();
            writer.WriteAttributeString("tests", Count(cases.Count));
            writer.WriteAttributeString("failures", Count(cases.Count(IsFailure)));
            writer.WriteAttributeString("errors", Count(cases.Count(c => c.Error is not null)));
            writer.WriteAttributeString("time", Seconds(TimeSpan.FromTicks(cases.Sum(c => c.Elapsed.Ticks))));
            foreach (var file in files)
            {
                writer.WriteStartElement("testsuite");
                writer.WriteAttributeString("name", Xml(file.Path));
                writer.WriteAttributeString("tests", Count(file.Cases.Count));
                writer.WriteAttributeString("failures", Count(file.Cases.Count(IsFailure)));
                writer.WriteAttributeString("errors", Count(file.Cases.Count(c => c.Error is not null)));
                writer.WriteAttributeString("time", Seconds(TimeSpan.FromTicks(file.Cases.Sum(c => c.Elapsed.Ticks))));
                foreach (var result in file.Cases)
                {
                    writer.WriteStartElement("testcase");
                    writer.WriteAttributeString("classname", Xml(file.Path));
                    writer.WriteAttributeString("name", Xml(result.Name));
                    writer.WriteAttributeString("file", Xml(file.Path));
                    writer.WriteAttributeString("line", Count(result.Line));
                    writer.WriteAttributeString("time", Seconds(result.Elapsed));
                    if (result.Error is { } error)
                    {
                        writer.WriteStartElement("error");
                        writer.WriteAttributeString("message", Xml(error));
                        writer.WriteString(Xml(error));
                        writer.WriteEndElement();
                    }
                    else if (result.Mismatches.Count > 0)
                    {
                        writer.WriteStartElement("failure");
                        writer.WriteAttributeString("message", Xml($"{result.Mismatches[0].Subject}: expected {result.Mismatches[0].Expected}"));
                        using var text = new StringWriter(CultureInfo.InvariantCulture);
                        TextReport.WriteCase(text, file.Path, result);
                        writer.WriteString(Xml(text.ToString()));
                        writer.WriteEndElement();
                    }

                    writer.WriteEndElement();
                }

                writer.WriteEndElement();
            }

            writer.WriteEndElement();
        }

        return stream.ToArray();
    }

    /// <summary>XML 1.0 cannot hold most control characters (a filter's body or log line may): they are written as \uXXXX.</summary>
    private static string Xml(string value)
    {
        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (XmlConvert.IsXmlChar(value[i]))
            {
                builder.Append(value[i]);
            }
            else if (i + 1 < value.Length && XmlConvert.IsXmlSurrogatePair(value[i + 1], value[i]))
            {
                builder.Append(value, i++, 2);
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)value[i]:x4}");
            }
        }

        return builder.ToString();
    }

    /// <summary>Written as a failure element: an error takes its place when both are there.</summary>
    private static bool IsFailure(CaseResult result) => result.Error is null && result.Mismatches.Count > 0;

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
