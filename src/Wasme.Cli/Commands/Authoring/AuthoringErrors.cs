using Spectre.Console;
using Wasme.Build.Templates;
using Wasme.Build.Toolchains;
using Wasme.Build.Validation;
using Wasme.Oci.Errors;

namespace Wasme.Cli.Commands.Authoring;

/// <summary>`wasme build --test`: the filter's tests failed, so the image was not stored.</summary>
internal sealed class BuildTestsFailedException(string message) : Exception(message);

/// <summary>Turns the failures of init and build into a message on stderr and a distinct exit code.</summary>
internal static class AuthoringErrors
{
    public static int Report(CliContext context, Exception exception)
    {
        switch (exception)
        {
            case ToolchainMissingException missing:
                Error(context, missing.Message);
                return ExitCodes.ToolchainFailure;
            case ToolchainFailedException failed:
                foreach (var line in failed.Output)
                {
                    context.Error.WriteLine(line, Style.Plain);
                }

                Error(context, failed.Message);
                return ExitCodes.ToolchainFailure;
            case ModuleValidationException invalid:
                Error(context, invalid.Message + Environment.NewLine + "Nothing was stored.");
                return ExitCodes.UsageError;
            case BuildTestsFailedException failedTests:
                Error(context, failedTests.Message);
                return ExitCodes.Failure;
            case TemplateTargetNotEmptyException notEmpty:
                Error(context, notEmpty.Message);
                return ExitCodes.UsageError;
            case OciException oci:
                Error(context, oci.Message);
                return oci.Kind switch
                {
                    OciErrorKind.Usage => ExitCodes.UsageError,
                    OciErrorKind.NotFound => ExitCodes.NotFound,
                    OciErrorKind.Auth => ExitCodes.AuthFailure,
                    OciErrorKind.Network => ExitCodes.NetworkFailure,
                    OciErrorKind.Integrity => ExitCodes.IntegrityFailure,
                    _ => ExitCodes.Failure,
                };
            default:
                throw exception;
        }
    }

    public static int Usage(CliContext context, string message)
    {
        Error(context, message);
        return ExitCodes.UsageError;
    }

    private static void Error(CliContext context, string message) =>
        context.Error.MarkupLineInterpolated($"[red]error:[/] {message}");
}
