using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Wasme.E2E.Tests;

/// <summary>
/// docs/tutorial.md, run as written: its <c>sh</c> blocks, in order, as one bash script from the root of the
/// checkout, against a cluster of its own (it uninstalls wasme at the end). Blocks marked
/// <c>&lt;!-- tutorial: not run by the test (why) --&gt;</c> are left out; everything else must succeed.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class TutorialTests(ClusterEnvironment cluster) : IClassFixture<ClusterEnvironment>
{
    private static readonly string Tutorial = Path.Combine(ClusterEnvironment.RepositoryRoot, "docs", "tutorial.md");

    [Fact]
    public void Every_block_left_out_says_why_and_what_stands_in_for_it()
    {
        var blocks = TutorialBlocks.Read(File.ReadAllText(Tutorial));

        Assert.All(blocks.Where(b => b.Skipped), b => Assert.Matches(@"^not run by the test \(.{20,}\)$", b.Mark));
        Assert.True(blocks.Count(b => !b.Skipped) >= 3 * blocks.Count(b => b.Skipped), "most of the tutorial must run");
    }

    [Fact]
    public async Task The_tutorial_runs_from_a_new_filter_to_a_rolled_version_and_back_out()
    {
        var blocks = TutorialBlocks.Read(await File.ReadAllTextAsync(Tutorial));
        var script = new StringBuilder("set -euo pipefail\n");
        foreach (var block in blocks.Where(b => !b.Skipped))
        {
            script.Append(CultureInfo.InvariantCulture, $"echo '>>> docs/tutorial.md line {block.Line}'\n").Append(block.Code).Append('\n');
        }

        var (exitCode, output) = await RunBashAsync(script.ToString());

        Assert.True(exitCode == 0, $"the tutorial's script exited {exitCode}:\n{output}\n--- operator ---\n{cluster.Operator.Output}");
        Assert.Matches(@"(?m)^details-add-header\.tutorial\s", output);
        var digests = StatusDigest().Matches(output).Select(m => m.Value).ToList();
        Assert.Equal(2, digests.Count);
        Assert.NotEqual(digests[0], digests[1]);
        Assert.Matches($@"(?m)^Digest +{digests[1]}$", output);
        Assert.Contains("No resources found in tutorial namespace.", output, StringComparison.Ordinal);
        Assert.Null(cluster.Kube.Get("apiextensions.k8s.io/v1", "CustomResourceDefinition", null, "filterdeployments.wasme.io"));
    }

    /// <summary>bash as a user's terminal runs it, with what the tutorial assumes: wasme on PATH, a registry, a cluster.</summary>
    private async Task<(int ExitCode, string Output)> RunBashAsync(string script)
    {
        var bin = cluster.Scratch("bin");
        Directory.CreateDirectory(bin);
        var wasme = Path.Combine(bin, "wasme");
        await File.WriteAllTextAsync(wasme, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "wasme.dll")}' \"$@\"\n");
        File.SetUnixFileMode(wasme, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var home = cluster.Scratch("tutorial-home");
        Directory.CreateDirectory(home);

        var start = new ProcessStartInfo("bash", ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = ClusterEnvironment.RepositoryRoot,
        };
        start.Environment["HOME"] = home;
        start.Environment["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        start.Environment["KUBECONFIG"] = cluster.Kube.KubeconfigPath;
        start.Environment["REGISTRY"] = cluster.Registry.Host;
        start.Environment.Remove("WASME_STORE");
        // The tutorial writes add-header.yaml in the working directory: the checkout must not keep it.
        var manifest = Path.Combine(ClusterEnvironment.RepositoryRoot, "add-header.yaml");
        var output = new StringBuilder();
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            process.WaitForExit();
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Append("(killed: the tutorial did not end within 8 minutes)");
            return (-1, Text());
        }
        finally
        {
            File.Delete(manifest);
        }

        return (process.ExitCode, Text());

        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }

        string Text()
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    [GeneratedRegex("(?m)^sha256:[0-9a-f]{64}$")]
    private static partial Regex StatusDigest();
}

/// <summary>The fenced <c>sh</c> blocks of a Markdown page, each with the <c>tutorial:</c> mark in the comment just above it, if any.</summary>
internal static partial class TutorialBlocks
{
    public sealed record Block(int Line, string Code, string? Mark)
    {
        public bool Skipped => Mark is not null;
    }

    public static IReadOnlyList<Block> Read(string markdown)
    {
        var lines = markdown.Split('\n');
        var blocks = new List<Block>();
        string? mark = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (Mark().Match(line) is { Success: true } m)
            {
                mark = m.Groups[1].Value;
            }
            else if (line == "```sh")
            {
                var start = i + 1;
                var end = Array.FindIndex(lines, start, l => l.TrimEnd('\r') == "```");
                blocks.Add(new Block(start + 1, string.Join('\n', lines[start..end]), mark));
                mark = null;
                i = end;
            }
            else if (line.Length > 0)
            {
                mark = null;
            }
        }

        return blocks;
    }

    [GeneratedRegex(@"^<!-- tutorial: (.*) -->$")]
    private static partial Regex Mark();
}
