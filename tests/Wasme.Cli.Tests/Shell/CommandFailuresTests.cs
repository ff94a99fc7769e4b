using System.Net;
using k8s.Autorest;
using Spectre.Console.Testing;
using Wasme.Build.Toolchains;
using Wasme.Cli.Commands.Clusters;
using Wasme.Cli.Infrastructure;
using Wasme.Cli.Tests.Support;
using Wasme.Kubernetes.Configuration;
using Wasme.Oci.Errors;

namespace Wasme.Cli.Tests.Shell;

/// <summary>The one mapping from failures to exit codes: every documented code is reached, each class by its code.</summary>
public sealed class CommandFailuresTests
{
    public static TheoryData<string, int> Failures() => new()
    {
        { "usage", ExitCodes.UsageError },
        { "not-found", ExitCodes.NotFound },
        { "auth", ExitCodes.AuthFailure },
        { "network", ExitCodes.NetworkFailure },
        { "integrity", ExitCodes.IntegrityFailure },
        { "lock-held", ExitCodes.Failure },
        { "file-access", ExitCodes.Failure },
        { "toolchain", ExitCodes.ToolchainFailure },
        { "command", ExitCodes.Failure },
        { "kubeconfig", ExitCodes.UsageError },
        { "api-403", ExitCodes.AuthFailure },
        { "api-404", ExitCodes.NotFound },
        { "api-unreachable", ExitCodes.NetworkFailure },
        { "bug", ExitCodes.Failure },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_failure_class_exits_with_its_documented_code_and_one_error_line(string failure, int expected)
    {
        var context = Context(out var error);

        Assert.Equal(expected, CommandFailures.Report(context, Verbosity.Normal, Create(failure), CancellationToken.None));

        Assert.StartsWith("error: ", error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancellation_by_the_caller_exits_130_and_says_cancelled()
    {
        var context = Context(out var error);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Equal(ExitCodes.Cancelled, CommandFailures.Report(context, Verbosity.Normal, new OperationCanceledException(cancelled.Token), cancelled.Token));
        Assert.Equal("cancelled", error.Output.Trim());
    }

    [Fact]
    public void A_failure_that_is_not_expected_is_reported_as_a_bug_with_its_stack()
    {
        var context = Context(out var error);

        Assert.Equal(ExitCodes.Failure, CommandFailures.Report(context, Verbosity.Normal, Thrown(new InvalidOperationException("boom")), CancellationToken.None));

        Assert.Contains("please report it as a bug", error.Output, StringComparison.Ordinal);
        Assert.Contains("   at ", error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_documented_exit_code_but_success_and_cancelled_is_reached_by_a_failure_class()
    {
        var reached = Failures().Select(row => (int)row[1]).ToHashSet();
        var documented = ExitCodes.All.Select(c => c.Code).Where(c => c is not ExitCodes.Success and not ExitCodes.Cancelled);

        Assert.All(documented, code => Assert.Contains(code, reached));
    }

    [Fact]
    public async Task A_parse_error_in_tests_takes_the_programs_path_usage_exit_code_and_the_fix()
    {
        var cli = new CliRunner();

        Assert.Equal(ExitCodes.UsageError, await cli.RunAsync("pull"));

        Assert.Contains("error:", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("Run 'wasme pull --help' for usage.", cli.Error.Output, StringComparison.Ordinal);
    }

    private static Exception Create(string failure) => failure switch
    {
        "usage" => new OciUsageException("bad reference"),
        "not-found" => new OciNotFoundException("no such image"),
        "auth" => new OciAuthException("denied"),
        "network" => new OciNetworkException("unreachable"),
        "integrity" => new OciIntegrityException("digest mismatch"),
        "lock-held" => new OciLockHeldException("another process has held the lock for 60 s"),
        "file-access" => new OciFileAccessException("the store is read-only"),
        "toolchain" => new ToolchainMissingException("npm", "install Node.js"),
        "command" => new CommandException(ExitCodes.Failure, "address in use"),
        "kubeconfig" => new ClusterConfigException("no kubeconfig found"),
        "api-403" => Api(HttpStatusCode.Forbidden),
        "api-404" => Api(HttpStatusCode.NotFound),
        "api-unreachable" => new KubernetesUnreachableException("cannot reach the Kubernetes API: refused"),
        "bug" => new InvalidOperationException("unexpected"),
        _ => throw new ArgumentOutOfRangeException(nameof(failure)),
    };

    private static HttpOperationException Api(HttpStatusCode status) => new("answered")
    {
        Response = new HttpResponseMessageWrapper(new HttpResponseMessage(status), "{\"kind\":\"Status\"}"),
    };

    private static Exception Thrown(Exception exception)
    {
        try
        {
            throw exception;
        }
        catch (Exception caught)
        {
            return caught;
        }
    }

    private static CliContext Context(out TestConsole error)
    {
        error = new TestConsole().Width(1000);
        return new CliContext
        {
            Out = new TestConsole(),
            Error = error,
            GetEnvironmentVariable = _ => null,
            TimeProvider = TimeProvider.System,
            IsInteractive = false,
        };
    }
}
