using System.Text.RegularExpressions;
using Wasme.Operator.Images;

namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// Condition messages for image failures. The registry client's messages end with advice for the command line
/// (<c>wasme login</c>, <c>--plain-http</c>); in a cluster the fix is in the FilterDeployment, so that advice is replaced
/// by the field to change.
/// </summary>
internal static partial class ImageFailureMessages
{
    public static string Describe(ImageResolutionException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var facts = string.Join(' ', SentenceEnd().Split(exception.Message).Where(s => !CliAdvice().IsMatch(s))).Trim();
        var advice = exception.Failure switch
        {
            ImageResolutionFailure.Unauthorized =>
                "name a Secret of type kubernetes.io/dockerconfigjson with access to it in spec.filter.imagePullOptions.pullSecret",
            ImageResolutionFailure.RegistryUnavailable =>
                "check the registry address in spec.filter.image; for a registry without TLS set spec.filter.imagePullOptions.plainHttp: true, for one with an untrusted certificate insecureSkipVerify: true",
            ImageResolutionFailure.ImageNotFound => "check spec.filter.image, or push the image",
            _ => null,
        };
        return advice is null ? facts : $"{facts.TrimEnd('.')}; fix: {advice}";
    }

    [GeneratedRegex(@"(?<=\.)\s+")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"wasme login|--plain-http|--insecure")]
    private static partial Regex CliAdvice();
}
