using Wasme.Build;
using Wasme.Build.Scratch;
using Wasme.Cli.Commands.Authoring;
using Wasme.Cli.Commands.Run;
using Wasme.FilterTesting;
using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Parsing;
using Wasme.FilterTesting.Reporting;
using Wasme.Oci.Errors;

namespace Wasme.Cli.Commands.Testing;

/// <summary><c>wasme build --test</c>: the project's tests run against the module just built, before it is stored.</summary>
internal static class BuildTestGate
{
    /// <param name="report">Where each case's result goes: stdout, or stderr when stdout carries <c>-o json</c>.</param>
    /// <param name="projectDirectory">The project; its <c>tests/</c> directory holds the cases.</param>
    public static Func<CompiledFilter, CancellationToken, Task> For(TextWriter report, string projectDirectory) => async (compiled, cancellationToken) =>
    {
        var tests = Path.Combine(projectDirectory, "tests");
        if (!Directory.Exists(tests))
        {
            throw new OciNotFoundException($"--test: {tests} does not exist; write the filter's tests there (docs/testing-filters.md) or build without --test");
        }

        var name = Path.GetFileName(projectDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var rootId = compiled.Config.RootIds.Count > 0 ? compiled.Config.RootIds[0] : null;
        var scratch = ScratchDirectory.Create("wasme-test-");
        var cache = scratch.Path;
        try
        {
            var runner = new FilterTestRunner(
                async (spec, token) => spec.Module is null
                    ? new ResolvedModule(compiled.Module.ToArray(), name, rootId)
                    : new ResolvedModule(await RunFilterResolver.ReadModuleFileAsync(spec.Module, token), Path.GetFileNameWithoutExtension(spec.Module), rootId,
                        IsText: spec.Module.EndsWith(".wat", StringComparison.OrdinalIgnoreCase)),
                cache);
            var results = await new FilterTestSuite(runner).RunAsync(
                new FilterTestOptions { Paths = [tests] }, (file, result) => TextReport.WriteCase(report, Path.GetRelativePath(projectDirectory, file), result), cancellationToken);
            var cases = results.SelectMany(r => r.Cases).ToList();
            if (cases.Count == 0)
            {
                // No case is no evidence: storing would pass off an untested module as tested, as `wasme test` refuses to.
                throw new OciNotFoundException(
                    $"--test: no case ran in {string.Join(", ", results.Select(r => Path.GetRelativePath(projectDirectory, r.Path)))}; add a case to the 'tests:' list, or build without --test; nothing was stored");
            }

            var failed = cases.Count(c => !c.Passed);
            if (failed > 0)
            {
                throw new BuildTestsFailedException($"{failed} of {cases.Count} filter tests failed; nothing was stored");
            }
        }
        catch (FilterTestFileException ex)
        {
            throw new OciUsageException(ex.Message);
        }
        catch (FileNotFoundException ex)
        {
            throw new OciNotFoundException(ex.Message);
        }
        finally
        {
            scratch.Dispose();
        }
    };
}
