using System.Globalization;
using Microsoft.Extensions.Options;

namespace Wasme.Operator.Hosting;

/// <summary>Checks every option at start and reports all problems at once, each with the fix.</summary>
public sealed class OperatorOptionsValidator : IValidateOptions<OperatorOptions>
{
    public ValidateOptionsResult Validate(string? name, OperatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Kubeconfig is { } path && !File.Exists(path))
        {
            failures.Add($"--kubeconfig {path}: the file does not exist; pass an existing kubeconfig or omit the option to use the in-cluster service account");
        }

        if (options.MetricsAddress.Length > 0 && !TryParseAddress(options.MetricsAddress, out _))
        {
            failures.Add($"--metrics-address {options.MetricsAddress}: expected host:port, e.g. 0.0.0.0:9091 (empty turns metrics off)");
        }

        if (!TryParseAddress(options.HealthAddress, out _))
        {
            failures.Add($"--health-address {options.HealthAddress}: expected host:port, e.g. 0.0.0.0:8081");
        }

        if (options.ResyncPeriod < TimeSpan.Zero)
        {
            failures.Add("--resync-period must not be negative; 0 turns periodic resync off");
        }

        if (options.ImageRefreshInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add("--image-refresh-interval must be at least 1s");
        }

        if (options.Workers is < 1 or > 64)
        {
            failures.Add($"--workers {options.Workers}: must be between 1 and 64");
        }

        if (!options.CacheServiceUrl.IsAbsoluteUri || options.CacheServiceUrl.Scheme != Uri.UriSchemeHttp)
        {
            failures.Add($"--cache-service-url {options.CacheServiceUrl}: expected an absolute http:// URL of the wasme cache Service, e.g. http://wasme-cache.wasme.svc.cluster.local:9979");
        }

        if (options.SigstoreTrustedRoot is { } trustedRoot)
        {
            if (!File.Exists(trustedRoot))
            {
                failures.Add($"--sigstore-trusted-root {trustedRoot}: the file does not exist; mount Sigstore's trusted_root.json (docs/signing.md)");
            }
            else
            {
                try
                {
                    // Validation is synchronous; the read is bounded, so this wait is too (short of a FIFO with no writer).
                    _ = Signing.Verification.TrustedRootFile.ReadAsync(trustedRoot, "--sigstore-trusted-root", CancellationToken.None).GetAwaiter().GetResult();
                }
                catch (Oci.Errors.OciUsageException ex)
                {
                    failures.Add(ex.Message);
                }
            }
        }

        if (options.LeaderElect && !(options.LeaseDuration > options.RenewDeadline && options.RenewDeadline > options.RetryPeriod && options.RetryPeriod > TimeSpan.Zero))
        {
            failures.Add("leader election needs lease duration > renew deadline > retry period > 0");
        }

        if (options.LeaderElect && !IsDnsName(options.LeaseName, 253))
        {
            failures.Add($"--leader-election-lease {options.LeaseName}: not a valid object name; use lower-case letters, digits, '-' and '.'");
        }

        if (options.LeaseNamespace is { } leaseNamespace && !IsDnsName(leaseNamespace, 63))
        {
            failures.Add($"--leader-election-namespace {leaseNamespace}: not a valid namespace name");
        }

        if (options.CacheNamespace is { } cacheNamespace && !IsDnsName(cacheNamespace, 63))
        {
            failures.Add($"--cache-namespace {cacheNamespace}: not a valid namespace name; give the namespace the wasme-cache DaemonSet runs in, e.g. wasme");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsDnsName(string name, int maxLength) =>
        name.Length is > 0 && name.Length <= maxLength
        && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);

    /// <summary>Parses <c>host:port</c> (host may be empty, <c>*</c>, a name, an IPv4 or a bracketed IPv6 address).</summary>
    public static bool TryParseAddress(string text, out (string Host, int Port) address)
    {
        address = default;
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 0 or > 65535)
        {
            return false;
        }

        var host = text[..colon];
        address = (host.Length == 0 || host == "*" ? "0.0.0.0" : host.Trim('[', ']'), port);
        return true;
    }
}
