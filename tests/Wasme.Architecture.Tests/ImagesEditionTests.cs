using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Wasme.Architecture.Tests;

/// <summary>
/// The images edition (<c>eng/publish-aot.sh --images</c>, <c>-p:WasmeEdition=images</c>) compiles Wasme.Cli without the
/// data plane, Kubernetes, Istio and the cache. The solution build never builds it, so a shared file that starts using
/// one of those assemblies broke the documented publish while CI stayed green (FlagFile, session 13). This reads the
/// sources as that build compiles them: the files it keeps, with WASME_IMAGES_EDITION defined.
/// </summary>
public sealed partial class ImagesEditionTests
{
    private static readonly string[] s_absent =
    [
        "Wasme.Proxy", "Wasme.ProxyWasm", "Wasme.Istio", "Wasme.Kubernetes", "Wasme.Operator", "Wasme.Cache",
        "Wasme.FilterTesting", "Microsoft.AspNetCore", "k8s", "Wasmtime",
    ];

    [Fact]
    public void The_files_the_images_edition_compiles_use_no_assembly_it_leaves_out()
    {
        var cli = Path.Combine(Repository.Root, "src", "Wasme.Cli");
        var removed = RemovedInImagesEdition(Path.Combine(cli, "Wasme.Cli.csproj"));
        Assert.NotEmpty(removed);
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(cli, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(cli, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal)
                || removed.Any(pattern => Matches(pattern, relative)))
            {
                continue;
            }

            foreach (var line in AsImagesEditionCompiles(File.ReadLines(file)))
            {
                var match = UsingPattern().Match(line);
                if (match.Success && s_absent.Any(name => match.Groups["ns"].Value == name || match.Groups["ns"].Value.StartsWith(name + ".", StringComparison.Ordinal)))
                {
                    offenders.Add($"{relative}: {line.Trim()}");
                }
            }
        }

        Assert.True(offenders.Count == 0, "The images edition would not compile; exclude these files in Wasme.Cli.csproj or guard them with #if !WASME_IMAGES_EDITION:\n" + string.Join("\n", offenders));
    }

    /// <summary>The <c>Compile Remove</c> patterns of the item group that applies when WasmeEdition is images.</summary>
    private static List<string> RemovedInImagesEdition(string project) =>
        XDocument.Load(project).Descendants("ItemGroup")
            .Where(group => (string?)group.Attribute("Condition") == "'$(WasmeEdition)' == 'images'")
            .SelectMany(group => group.Elements("Compile"))
            .SelectMany(compile => ((string?)compile.Attribute("Remove") ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();

    private static bool Matches(string pattern, string relative) =>
        pattern.EndsWith("/**", StringComparison.Ordinal)
            ? relative.StartsWith(pattern[..^2], StringComparison.Ordinal)
            : string.Equals(pattern, relative, StringComparison.Ordinal);

    /// <summary>The lines the compiler sees with WASME_IMAGES_EDITION defined (only that symbol's #if blocks are judged).</summary>
    private static IEnumerable<string> AsImagesEditionCompiles(IEnumerable<string> lines)
    {
        // One entry per open #if: whether its current branch is compiled. Other symbols' blocks count as compiled.
        var open = new Stack<(bool Edition, bool Active)>();
        foreach (var line in lines)
        {
            var directive = line.Trim();
            if (directive.StartsWith("#if ", StringComparison.Ordinal))
            {
                var condition = directive[4..].Trim();
                open.Push(condition switch
                {
                    "!WASME_IMAGES_EDITION" => (true, false),
                    "WASME_IMAGES_EDITION" => (true, true),
                    _ => (false, true),
                });
            }
            else if (directive.StartsWith("#else", StringComparison.Ordinal) && open.Count > 0)
            {
                var (edition, active) = open.Pop();
                open.Push((edition, edition ? !active : active));
            }
            else if (directive.StartsWith("#endif", StringComparison.Ordinal) && open.Count > 0)
            {
                open.Pop();
            }
            else if (open.All(block => block.Active))
            {
                yield return line;
            }
        }
    }

    [GeneratedRegex(@"^\s*(global\s+)?using\s+(static\s+)?(\w+\s*=\s*)?(?<ns>[\w.]+)")]
    private static partial Regex UsingPattern();
}
