using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Wasme.Build.Scratch;
using Wasme.Cli.Commands.Run;
using Wasme.Cli.Infrastructure;
using Wasme.FilterTesting;
using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Model;
using Wasme.FilterTesting.Reporting;
using Wasme.Oci.Errors;
using Wasme.Oci.Store;

namespace Wasme.Cli.Commands.Testing;

/// <summary>
/// <c>wasme test</c>: runs filter tests written as YAML against the compiled module, in-process, on virtual time,
/// through the same data plane as <c>wasme run</c>: no Envoy, no cluster.
/// </summary>
internal sealed class TestCommand : WasmeCommand
{
    // The templates' test files send their readers here for the format, so every key is named (docs have the rest).
    private const string FileFormat = """
        filters   the chain, in order; each: module, name, rootId, vmId, config, vmConfig, env, failurePolicy
        node, sharedData, streamIdleTimeout, maxBufferedBody, queues: what every case starts from
        tests     the cases; each: name, given (file-level keys to override), when, then
          when    advance, request, upstream, httpCalls, grpcCalls, repeat, queueMessages
          then    response, upstream, httpCalls, grpcCalls, logs, metrics, sharedData, filterFailed, queues
        A filter that fails (trap, deadline, memory cap) fails its case unless then says filterFailed: true.
        Every key, with examples: docs/testing-filters.md; editors check files with docs/schemas/filter-test.schema.json.
        """;

    private readonly Func<ParseResult, TestSession> _bind;

    public TestCommand(CliContext context)
        : base(context, "test", "Run filter tests (YAML: given, when, then) against a compiled module, without Envoy.")
    {
        var paths = new Argument<string[]>("FILE_OR_DIR") { Description = "Test files, or directories searched for *.yaml (default: ./tests).", Arity = ArgumentArity.ZeroOrMore };
        var module = new Option<string?>("--module", "-m") { Description = "The .wasm file for filters whose test file names no module." };
        var image = new Option<string?>("--image") { Description = "An image in the local store for filters whose test file names no module." };
        var output = new Option<string[]>("--output", "-o") { Description = "Results as text (default), json or yaml on stdout (docs/cli.md), and/or junit=FILE, JUnit XML for CI (repeatable).", HelpName = "text|json|yaml|junit=FILE", AllowMultipleArgumentsPerToken = false };
        var filter = new Option<string?>("--filter") { Description = "Run only cases whose name contains this text." };
        var update = new Option<bool>("--update") { Description = "Write each failing case's observed response into its then.response (golden tests); review the diff." };
        var store = new Option<string?>("--store") { Description = $"Local image store for --image (default: ${LocalImageStore.EnvironmentVariable} or ~/.wasme/store)." };
        var timeout = new Option<string>("--timeout") { Description = "Stop the run (exit 1) when it takes longer, naming the case under way: 30s, 10m, 1h; 0 for no limit.", DefaultValueFactory = _ => "10m" };
        Arguments.Add(paths);
        foreach (var option in new Option[] { module, image, output, filter, update, store, timeout })
        {
            Options.Add(option);
        }

        Detail("Test files (YAML)", FileFormat);
        Example("Run the tests in ./tests against the module they name", "wasme test");
        Example("Run the cases named like 'header' against a stored image, and write a JUnit report for CI", "wasme test tests/ --image my-filter:v1 --filter header -o junit=test-results.xml");
        _bind = parseResult => new TestSession(context)
        {
            Paths = parseResult.GetValue(paths) is { Length: > 0 } given ? given : ["tests"],
            Module = parseResult.GetValue(module),
            Image = parseResult.GetValue(image),
            Outputs = parseResult.GetValue(output) ?? [],
            NameFilter = parseResult.GetValue(filter),
            Update = parseResult.GetValue(update),
            Store = parseResult.GetValue(store),
            Timeout = parseResult.GetValue(timeout)!,
        };
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken) =>
        _bind(parseResult).RunAsync(cancellationToken);
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

    /// <summary>The whole run's time limit as given (<c>10m</c>); 0 for none.</summary>
    public string Timeout { get; init; } = "10m";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // Each request may use a filter's whole call deadline (1 s): many cases of a filter that does would run for hours.
        if (!Durations.TryParse(Timeout, out var limit))
        {
            throw CommandException.Usage($"--timeout '{Timeout}' is not a duration; use a number with s, m, h or d, e.g. 10m, or 0 for no limit");
        }

        string? junit = null;
        var format = OutputFormat.Text;
        foreach (var output in Outputs)
        {
            if (output.StartsWith("junit=", StringComparison.Ordinal) && output.Length > "junit=".Length)
            {
                junit = output["junit=".Length..];
            }
            else if (OutputFormats.Words.FirstOrDefault(w => w.Word == output) is { Word: not null } word)
            {
                format = word.Value;
            }
            else
            {
                throw CommandException.Usage($"--output '{output}' is not text, json, yaml or junit=FILE (for example -o junit=test-results.xml)");
            }
        }

        // With -o json|yaml stdout holds the document alone; the case lines are for people.
        var text = format.IsData() ? TextWriter.Null : context.Out.Profile.Out.Writer;

        if (Module is not null && Image is not null)
        {
            throw CommandException.Usage("--module and --image are exclusive: pass one of them");
        }

        // Found out before the cases run, not after: the report is written last.
        if (junit is not null && Directory.Exists(junit))
        {
            throw CommandException.Usage($"-o junit={junit} is a directory; name the report's file, for example -o junit={Path.Combine(junit, "test-results.xml")}");
        }

        var started = Stopwatch.GetTimestamp();
        var scratch = ScratchDirectory.Create("wasme-test-");
        var cache = scratch.Path;
        try
        {
            var runner = new FilterTestRunner(ResolveAsync, cache);
            using var timeLimit = limit > TimeSpan.Zero ? new CancellationTokenSource(limit, context.TimeProvider) : new CancellationTokenSource();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeLimit.Token);
            IReadOnlyList<FileResult> results;
            try
            {
                // --update goes through the CLI's output files: a linked test file stays a link, and a killed run's temp file is removed.
                results = await new FilterTestSuite(runner, UpdatedTestFiles.WriteAsync).RunAsync(
                    new FilterTestOptions { Paths = Paths, NameFilter = NameFilter, Update = Update },
                    (file, result) => TextReport.WriteCase(text, Relative(file), result),
                    stop.Token);
            }
            catch (FilterTestsStoppedException stopped) when (timeLimit.IsCancellationRequested && !cancellationToken.IsCancellationRequested && stopped.CaseName is null)
            {
                // No case ran, so there is no report to write.
                throw new CommandException(ExitCodes.Failure, $"the run took longer than --timeout {Timeout} while it read {Relative(stopped.File!)}, before any case ran; " +
                    "a named pipe waits for a writer: pass the test files themselves, or raise --timeout (0 for no limit)");
            }
            catch (FilterTestsStoppedException stopped) when (timeLimit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var message = $"the run took longer than --timeout {Timeout}: case '{stopped.CaseName}' ({Relative(stopped.File!)}:{stopped.CaseLine}) was running, {stopped.Finished} of {stopped.Total} cases had finished; " +
                    "raise --timeout (0 for no limit), or look for a filter that uses its whole call deadline on each request";
                if (junit is not null)
                {
                    // CI shows the report, not the log: what finished, and the case the limit cut off as an error.
                    await WriteJUnitAsync(junit, WithStoppedCase(stopped, $"stopped: the run took longer than --timeout {Timeout} while this case ran"));
                }

                throw new CommandException(ExitCodes.Failure, message);
            }

            TextReport.WriteSummary(text, results, FilterTestSuite.Since(started));
            if (junit is not null)
            {
                await WriteJUnitAsync(junit, results);
            }

            var cases = results.SelectMany(r => r.Cases).ToList();
            if (cases.Count == 0)
            {
                // Name what was read, so an empty 'tests:' list or a filter matching nothing is found at once.
                var read = results.Count == 0 ? "" : $" in {string.Join(", ", results.Select(r => Relative(r.Path)))}";
                throw new CommandException(ExitCodes.NotFound, $"no case ran{read}{(NameFilter is null ? "; add a case to the 'tests:' list" : $" (none is named like '{NameFilter}')")}");
            }

            if (format.IsData())
            {
                DataOutput.Write(context, format, TestReport.From(results, Relative), TestJsonContext.Output.TestReport);
            }

            if (Update && cases.Any(c => !c.Passed))
            {
                (format.IsData() ? context.Error : context.Out).MarkupLine("--update recorded the observed responses of the failing cases; review the change (git diff) and run again.");
            }

            return cases.All(c => c.Passed) ? ExitCodes.Success : ExitCodes.Failure;
        }
        finally
        {
            scratch.Dispose();
        }
    }

    private static async Task WriteJUnitAsync(string path, IReadOnlyList<FileResult> results)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandException(ExitCodes.Failure, $"the JUnit report could not be written to {path}: {ex.Message}; pass -o junit=FILE with a path you may write");
        }

        // As the CLI's other output files: a link stays a link, /dev/stdout is written to rather than replaced (as
        // root it was, by a regular file), and a kill leaves the old report or the new one. Not cancelled: a run its
        // time limit stopped still writes the report.
        await OutputFiles.WriteAsync(path, JUnitReport.Render(results), unixMode: null, CancellationToken.None);
    }

    private static List<FileResult> WithStoppedCase(FilterTestsStoppedException stopped, string error)
    {
        var results = stopped.Results.ToList();
        var cut = new CaseResult(stopped.CaseName!, stopped.CaseLine, [], null, TimeSpan.Zero, error);
        if (results.Count > 0 && results[^1].Path == stopped.File)
        {
            results[^1] = results[^1] with { Cases = [.. results[^1].Cases, cut] };
        }
        else
        {
            results.Add(new FileResult(stopped.File!, [cut]));
        }

        return results;
    }

    private async Task<ResolvedModule> ResolveAsync(FilterSpec spec, CancellationToken cancellationToken)
    {
        var argument = spec.Module ?? Module ?? Image
            ?? throw new OciUsageException("a filter in the test file names no module: pass --module FILE.wasm or --image REF, or write module: PATH under filters");
        if (spec.Module is not null && !File.Exists(spec.Module))
        {
            throw new OciNotFoundException($"module {spec.Module} does not exist; build the filter first (wasme build) or fix module: in the test file");
        }

        if (argument.EndsWith(".wat", StringComparison.OrdinalIgnoreCase) && File.Exists(argument))
        {
            // WebAssembly text is compiled by the runner; the image/module resolver only reads binary modules.
            return new ResolvedModule(await RunFilterResolver.ReadModuleFileAsync(argument, cancellationToken), Path.GetFileNameWithoutExtension(argument), null, IsText: true);
        }

        var resolver = new RunFilterResolver(() => new LocalImageStore(LocalImageStore.ResolveRoot(Store, context.GetEnvironmentVariable), context.TimeProvider));
        RunFilterSource source;
        try
        {
            source = await resolver.ResolveAsync(argument, cancellationToken);
        }
        catch (Exception ex) when (ex is OciIntegrityException || (ex is OciUsageException && File.Exists(argument)))
        {
            // There but unusable (a file that is not WebAssembly or is past the size bound, a damaged image): its cases
            // fail and the rest run. A reference that names nothing usable is still the command line's error (exit 2).
            throw new FilterModuleException(ex.Message, ex);
        }

        return new ResolvedModule(source.Module, source.Name, source.RootIds.Count > 0 ? source.RootIds[0] : null,
            IsText: false);
    }

    private static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
