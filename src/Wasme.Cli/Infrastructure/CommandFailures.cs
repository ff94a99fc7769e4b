using Spectre.Console;
using Wasme.Build.Templates;
using Wasme.Build.Toolchains;
using Wasme.Build.Validation;
using Wasme.Cli.Commands.Authoring;
using Wasme.Oci.Errors;
#if !WASME_IMAGES_EDITION
using k8s.Autorest;
using Wasme.Cli.Commands.Clusters;
using Wasme.FilterTesting.Parsing;
using Wasme.FilterTesting.Reporting;
using Wasme.Kubernetes.Configuration;
using Wasme.Proxy.Hosting;
using Wasme.Proxy.Istio;
using Wasme.ProxyWasm;
#endif

namespace Wasme.Cli.Infrastructure;

/// <summary>
/// The one place a failure becomes a message on stderr and an exit code (<see cref="ExitCodes"/>). Commands throw;
/// the command base and the program call <see cref="Report"/>. Expected failures get one line (and the fix);
/// anything else is a bug and says so, with what a report needs.
/// </summary>
internal static partial class CommandFailures
{
    public static int Report(CliContext context, Verbosity verbosity, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            context.Error.MarkupLine("[yellow]cancelled[/]");
            return ExitCodes.Cancelled;
        }

        if (Classify(exception) is not { } failure)
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] unexpected failure, please report it as a bug: {exception}");
            return ExitCodes.Failure;
        }

        foreach (var line in failure.Before)
        {
            context.Error.WriteLine(line, Style.Plain);
        }

        foreach (var message in failure.Messages)
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] {message}");
        }

        foreach (var line in failure.After)
        {
            context.Error.WriteLine(line, Style.Plain);
        }

        if (verbosity == Verbosity.Debug)
        {
            context.Error.WriteLine(exception.ToString(), Style.Plain);
        }

        return failure.ExitCode;
    }

    /// <summary>The exit code of a failure class, for callers that report it themselves.</summary>
    public static int ExitCode(OciErrorKind kind) => kind switch
    {
        OciErrorKind.Usage => ExitCodes.UsageError,
        OciErrorKind.NotFound => ExitCodes.NotFound,
        OciErrorKind.Auth => ExitCodes.AuthFailure,
        OciErrorKind.Network => ExitCodes.NetworkFailure,
        OciErrorKind.Integrity => ExitCodes.IntegrityFailure,
        _ => ExitCodes.Failure,
    };

    private static Failure? Classify(Exception exception) => exception switch
    {
        CommandException command => new(command.ExitCode, command.Problems, After: command.Details),
        OciException oci => new(ExitCode(oci.Kind), oci.Message),
        ToolchainMissingException missing => new(ExitCodes.ToolchainFailure, missing.Message),
        // The toolchain's own words first: the tail of its output is what says why.
        ToolchainFailedException failed => new(ExitCodes.ToolchainFailure, failed.Message, Before: failed.Output),
        ModuleValidationException invalid => new(ExitCodes.UsageError, invalid.Message + Environment.NewLine + "Nothing was stored."),
        BuildTestsFailedException tests => new(ExitCodes.Failure, tests.Message),
        TemplateTargetNotEmptyException notEmpty => new(ExitCodes.UsageError, notEmpty.Message),
#if !WASME_IMAGES_EDITION
        ClusterConfigException cluster => new(ExitCodes.UsageError, cluster.Message),
        HttpOperationException api => KubernetesApi(api),
        KubernetesUnreachableException unreachable => new(ExitCodes.NetworkFailure, unreachable.Message),
        IstioResourceException istio => new(ExitCodes.UsageError, istio.Message),
        WasmCodeFetchException fetch => new(
            fetch.Failure switch
            {
                WasmCodeFailure.NotFound => ExitCodes.NotFound,
                WasmCodeFailure.Integrity => ExitCodes.IntegrityFailure,
                _ => ExitCodes.NetworkFailure,
            },
            fetch.Message),
        ProxyWasmException wasm => new(ExitCodes.UsageError, wasm.Message),
        ProxyStartException start => new(ExitCodes.UsageError, start.Message),
        FilterTestFileException testFile => new(ExitCodes.UsageError, testFile.Message),
        FilterTestFileChangedException changed => new(ExitCodes.Failure, changed.Message),
        FileNotFoundException missingFile => new(ExitCodes.NotFound, missingFile.Message),
#endif
        _ => null,
    };

#if !WASME_IMAGES_EDITION
    private static Failure KubernetesApi(HttpOperationException e)
    {
        var status = (int)e.Response.StatusCode;
        if (status == 403 && Deleting(e.Response.Content) is { } deleting)
        {
            // Admission's refusals of new objects while their namespace or CRD goes: no permission would help.
            return new(ExitCodes.Failure, $"the Kubernetes API answered {status}{Wasme.Kubernetes.Clients.KubernetesErrors.StatusText(e.Response.Content)}", After: [$"  fix: {deleting}"]);
        }

        var hint = status switch
        {
            401 or 403 => "check that your kubeconfig user may do this",
            404 when e.Response.Content.Contains("could not find the requested resource", StringComparison.Ordinal) => "are Istio and wasme installed? their EnvoyFilter/WasmPlugin/FilterDeployment CRDs are not served (wasme: kubectl apply -k deploy/)",
            404 => "check the namespace and names",
            409 => "the object changed meanwhile; run the command again",
            _ => "see the API server's message",
        };
        var code = status is 401 or 403 ? ExitCodes.AuthFailure : status == 404 ? ExitCodes.NotFound : ExitCodes.Failure;
        return new(code, $"the Kubernetes API answered {status}{Wasme.Kubernetes.Clients.KubernetesErrors.StatusText(e.Response.Content)}", After: [$"  fix: {hint}"]);
    }
#endif

#if !WASME_IMAGES_EDITION
    /// <summary>What is being deleted, when a 403 is NamespaceLifecycle's or a terminating CRD's refusal to create.</summary>
    private static string? Deleting(string content)
    {
        if (TerminatingNamespace().Match(content) is { Success: true } ns)
        {
            return $"namespace {ns.Groups[1].Value} is being deleted; wait until it is gone and create it again, or use another namespace";
        }

        if (!content.Contains("create not allowed while custom resource definition is terminating", StringComparison.Ordinal))
        {
            return null;
        }

        return content.Contains("filterdeployments.wasme.io", StringComparison.Ordinal)
            ? "the FilterDeployment CRD is being deleted (wasme is being uninstalled); once it is gone, kubectl apply -k deploy/ installs wasme again"
            : "the CRD of this kind is being deleted (is Istio being uninstalled?); once it is gone, install it again";
    }

    [System.Text.RegularExpressions.GeneratedRegex("unable to create new content in namespace ([a-z0-9-]+) because it is being terminated")]
    private static partial System.Text.RegularExpressions.Regex TerminatingNamespace();
#endif

    private sealed record Failure(int ExitCode, IReadOnlyList<string> Messages, IReadOnlyList<string>? Before = null, IReadOnlyList<string>? After = null)
    {
        public Failure(int exitCode, string message, IReadOnlyList<string>? Before = null, IReadOnlyList<string>? After = null)
            : this(exitCode, [message], Before, After)
        {
        }

        public IReadOnlyList<string> Before { get; } = Before ?? [];

        public IReadOnlyList<string> After { get; } = After ?? [];
    }
}
