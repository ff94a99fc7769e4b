using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Wasme.Cli.Commands.Images;
using Wasme.Cli.Commands.Run;
using Wasme.FilterTesting;
using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Model;
using Wasme.FilterTesting.Parsing;
using Wasme.FilterTesting.Reporting;
using Wasme.Oci.Errors;
using Wasme.Oci.Store;

namespace Wasme.Cli.Commands.Testing;

/// <summary>
/// <c>wasme test</c>: runs filter tests written as YAML against the compiled module, in-process, on virtual time,
/// through the same data plane as <c>wasme run</c>: no Envoy, no cluster.
/// </summary>
internal sealed class TestCommand : Command
{
    public TestCommand(CliContext context)
        : base("test", "Run filter tests (YAML: given, when, then) against a compiled module, without Envoy.")
    {
        var paths = new Argument<string[]>("FILE_OR_DIR") { Description = "Test files, or directories searched for *.yaml (default: ./tests).", Arity = ArgumentArity.ZeroOrMore };
        var module = new Option<string?>("--module", "-m") { Description = "The .wasm file for filters whose test file names no module." };
        var image = new Option<string?>("--image") { Description = "An image in the local store for filters whose test file names no module." };
        var output = new Option<string[]>("--output", "-o") { Description = "Also write results as junit=FILE (JUnit XML for CI).", AllowMultipleArgumentsPerToken = false };
        var filter = new Option<string?>("--filter") { Description = "Run only cases whose name contains this text." };
        var update = new Option<bool>("--update") { Description = "Write each failing case's observed response into its then.response (golden tests); review the diff." };
        var store = new Option<string?>("--store") { Description = $"Local image store for --image (default: ${LocalImageStore.EnvironmentVariable} or ~/.wasme/store)." };
        Arguments.Add(paths);
        foreach (var option in new Option[] { module, image, output, filter, update, store })
        {
            Options.Add(option);
        }

        SetAction(async (parseResult, cancellationToken) =>
        {
            var session = new TestSession(context)
            {
                Paths = parseResult.GetValue(paths) is { Length: > 0 } given ? given : ["tests"],
                Module = parseResult.GetValue(module),
                Image = parseResult.GetValue(image),
                Outputs = parseResult.GetValue(output) ?? [],
                NameFilter = parseResult.GetValue(filter),
                Update = parseResult.GetValue(update),
                Store = parseResult.GetValue(store),
            };
            return await session.RunAsync(cancellationToken);
        });
    }
}

/// <summary>One <c>wasme test</c> run: checks the command line, runs every case, reports, picks the exit code.</summary>
internal sealed class TestSession(CliContext context)
{
    public required IReadOnlyList<string> Paths { get; init; }
    public string? Module { get; init; }
    public string? Image { get; init; }
    public IReadOnlyList<string> Outputs { get; init; } = [];
    public string? NameFilter { get; init; }
    public bool Update { get; init; }
    public string? Store { get; init; }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        string? junit = null;
        foreach (var output in Outputs)
        {
            if (output.StartsWith("junit=", StringComparison.Ordinal) && output.Length > "junit=".Length)
            {
                junit = output["junit=".Length..];
            }
            else
            {
                context.Error.MarkupLineInterpolated($"[red]error:[/] --output '{output}' is not junit=FILE (for example -o junit=test-results.xml)");
                return ExitCodes.UsageError;
            }
        }

        if (Module is not null && Image is not null)
        {
            context.Error.MarkupLine("[red]error:[/] --module and --image are exclusive: pass one of them");
            return ExitCodes.UsageError;
        }

        var started = Stopwatch.GetTimestamp();
        var cache = Directory.CreateTempSubdirectory("wasme-test-").FullName;
        try
        {
            var runner = new FilterTestRunner(ResolveAsync, cache);
            var results = await new FilterTestSuite(runner).RunAsync(
                new FilterTestOptions { Paths = Paths, NameFilter = NameFilter, Update = Update },
                (file, result) => TextReport.WriteCase(context.Out.Profile.Out.Writer, Relative(file), result),
                cancellationToken);
            TextReport.WriteSummary(context.Out.Profile.Out.Writer, results, FilterTestSuite.Since(started));
            if (junit is not null)
            {
                JUnitReport.Write(junit, results);
            }

            var cases = results.SelectMany(r => r.Cases).ToList();
            if (cases.Count == 0)
            {
                context.Error.MarkupLineInterpolated($"[red]error:[/] no case ran{(NameFilter is null ? "" : $" (none is named like '{NameFilter}')")}");
                return ExitCodes.NotFound;
            }

            if (Update && cases.Any(c => !c.Passed))
            {
                context.Out.MarkupLine("--update recorded the observed responses of the failing cases; review the change (git diff) and run again.");
            }

            return cases.All(c => c.Passed) ? ExitCodes.Success : ExitCodes.Failure;
        }
        catch (FilterTestFileException ex)
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return ExitCodes.UsageError;
        }
        catch (FileNotFoundException ex)
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return ExitCodes.NotFound;
        }
        catch (OciException ex)
        {
            return ImageErrors.Report(context, ex);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    private async Task<ResolvedModule> ResolveAsync(FilterSpec spec, CancellationToken cancellationToken)
    {
        var argument = spec.Module ?? Module ?? Image
            ?? throw new OciUsageException("a filter in the test file names no module: pass --module FILE.wasm or --image REF, or write module: PATH under filters");
        if (spec.Module is not null && !File.Exists(spec.Module))
        {
            throw new OciNotFoundException($"module {spec.Module} does not exist; build the filter first (wasme build) or fix module: in the test file");
        }

        var resolver = new RunFilterResolver(() => new LocalImageStore(LocalImageStore.ResolveRoot(Store, context.GetEnvironmentVariable), context.TimeProvider));
        var source = await resolver.ResolveAsync(argument, cancellationToken);
        return new ResolvedModule(source.Module, source.Name, source.RootIds.Count > 0 ? source.RootIds[0] : null,
            IsText: argument.EndsWith(".wat", StringComparison.OrdinalIgnoreCase));
    }

    private static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
