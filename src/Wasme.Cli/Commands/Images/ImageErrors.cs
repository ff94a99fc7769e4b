using Spectre.Console;
using Wasme.Oci.Errors;

namespace Wasme.Cli.Commands.Images;

/// <summary>Maps Wasme.Oci failures to a message on stderr and the exit code of their class.</summary>
internal static class ImageErrors
{
    public static int Report(CliContext context, Exception exception)
    {
        if (exception is not OciException oci)
        {
            throw exception;
        }

        context.Error.MarkupLineInterpolated($"[red]error:[/] {oci.Message}");
        return ExitCode(oci.Kind);
    }

    public static int ExitCode(OciErrorKind kind) => kind switch
    {
        OciErrorKind.Usage => ExitCodes.UsageError,
        OciErrorKind.NotFound => ExitCodes.NotFound,
        OciErrorKind.Auth => ExitCodes.AuthFailure,
        OciErrorKind.Network => ExitCodes.NetworkFailure,
        OciErrorKind.Integrity => ExitCodes.IntegrityFailure,
        _ => ExitCodes.Failure,
    };

    /// <summary>Runs an image command body, turning expected failures into exit codes.</summary>
    public static async Task<int> RunAsync(CliContext context, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (OciException ex)
        {
            return Report(context, ex);
        }
    }
}
