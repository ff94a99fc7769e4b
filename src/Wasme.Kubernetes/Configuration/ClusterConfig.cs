using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using Wasme.Input;

namespace Wasme.Kubernetes.Configuration;

/// <summary>
/// Finds the cluster for a command with KubernetesClient's own kubeconfig loading, in kubectl's order: <c>--kubeconfig</c>,
/// else the first file of <c>$KUBECONFIG</c> that exists, else <c>~/.kube/config</c>, else the pod's service account. The daemons
/// (<c>operator</c>, <c>cache</c>) take the service account first, as controllers do. When nothing is found it says what was
/// tried, instead of KubernetesClient's fallback to <c>localhost:8080</c>, which only ever fails. The kubeconfig is read
/// through <see cref="InputFile"/>, bounded, and the wait on a FIFO with no writer ends when the command is cancelled.
/// </summary>
public static class ClusterConfig
{
    private const string ServiceAccountToken = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /// <summary>
    /// The configuration to use. <paramref name="getEnvironmentVariable"/> reads <c>KUBECONFIG</c> and <c>HOME</c> (the CLI
    /// passes its own, so tests need not touch the process environment).
    /// </summary>
    /// <exception cref="FileNotFoundException"><paramref name="kubeconfig"/> names no file.</exception>
    /// <exception cref="ClusterConfigException">Nothing usable was found; the message names what was tried.</exception>
    public static async Task<KubernetesClientConfiguration> LoadAsync(Func<string, string?> getEnvironmentVariable, string? kubeconfig, bool preferInCluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        if (kubeconfig is not null)
        {
            return File.Exists(kubeconfig)
                ? await FromFileAsync(kubeconfig, $"{kubeconfig} (--kubeconfig)", cancellationToken).ConfigureAwait(false)
                : throw new FileNotFoundException($"kubeconfig {kubeconfig} (--kubeconfig) does not exist; give the path of a kubeconfig file", kubeconfig);
        }

        var inCluster = KubernetesClientConfiguration.IsInCluster();
        if (preferInCluster && inCluster)
        {
            return InCluster();
        }

        var tried = new List<string>();
        if (getEnvironmentVariable("KUBECONFIG") is { Length: > 0 } variable)
        {
            var files = variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(p => new FileInfo(p)).ToList();
            if (files.Any(f => f.Exists))
            {
                return await FromFileAsync(files.First(f => f.Exists).FullName, $"$KUBECONFIG ({variable})", cancellationToken).ConfigureAwait(false);
            }

            tried.Add($"$KUBECONFIG={variable} (no such file)");
        }
        else
        {
            tried.Add("$KUBECONFIG (not set)");
        }

        var home = getEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var defaultPath = Path.Combine(home, ".kube", "config");
        if (File.Exists(defaultPath))
        {
            return await FromFileAsync(defaultPath, defaultPath, cancellationToken).ConfigureAwait(false);
        }

        tried.Add($"{defaultPath} (no such file)");
        if (inCluster)
        {
            return InCluster();
        }

        tried.Add($"in-cluster service account (not in a pod: no KUBERNETES_SERVICE_HOST or {ServiceAccountToken})");
        throw new ClusterConfigException($"no kubeconfig found; tried {string.Join(", ", tried)}; pass --kubeconfig FILE or set KUBECONFIG");
    }

    private static async Task<KubernetesClientConfiguration> FromFileAsync(string path, string source, CancellationToken cancellationToken)
    {
        try
        {
            // KubernetesClient reads one file here (its merging overload is not public): the first that exists.
            var bytes = await InputFile.ReadAsync(path, InputFile.MaxBytes, cancellationToken).ConfigureAwait(false);
            using var stream = new MemoryStream(bytes);
            var kubeconfig = await KubernetesClientConfiguration.LoadKubeConfigAsync(stream).ConfigureAwait(false);

            // Paths in the file (certificate-authority: ca.crt) are relative to it, as when KubernetesClient opens it.
            kubeconfig.FileName = Path.GetFullPath(path);
            await InlineReferencedFilesAsync(kubeconfig, Path.GetDirectoryName(kubeconfig.FileName)!, source, cancellationToken).ConfigureAwait(false);
            return KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig);
        }
        catch (Exception ex) when (ex is KubeConfigException or IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
        {
            throw new ClusterConfigException($"kubeconfig {source} cannot be used: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// KubernetesClient reads the certificate and key files a kubeconfig names whole, with no bound and no cancellation:
    /// they are read here through <see cref="InputFile"/> instead and handed over as their <c>-data</c> fields.
    /// </summary>
    private static async Task InlineReferencedFilesAsync(K8SConfiguration kubeconfig, string directory, string source, CancellationToken cancellationToken)
    {
        foreach (var endpoint in kubeconfig.Clusters?.Select(c => c.ClusterEndpoint).OfType<ClusterEndpoint>() ?? [])
        {
            if (string.IsNullOrEmpty(endpoint.CertificateAuthorityData) && !string.IsNullOrEmpty(endpoint.CertificateAuthority))
            {
                endpoint.CertificateAuthorityData = await ReadReferencedAsync(endpoint.CertificateAuthority, "certificate-authority", directory, source, cancellationToken).ConfigureAwait(false);
                endpoint.CertificateAuthority = null;
            }
        }

        foreach (var user in kubeconfig.Users?.Select(u => u.UserCredentials).OfType<UserCredentials>() ?? [])
        {
            if (string.IsNullOrEmpty(user.ClientCertificateData) && !string.IsNullOrEmpty(user.ClientCertificate))
            {
                user.ClientCertificateData = await ReadReferencedAsync(user.ClientCertificate, "client-certificate", directory, source, cancellationToken).ConfigureAwait(false);
                user.ClientCertificate = null;
            }

            if (string.IsNullOrEmpty(user.ClientKeyData) && !string.IsNullOrEmpty(user.ClientKey))
            {
                user.ClientKeyData = await ReadReferencedAsync(user.ClientKey, "client-key", directory, source, cancellationToken).ConfigureAwait(false);
                user.ClientKey = null;
            }
        }
    }

    private static async Task<string> ReadReferencedAsync(string reference, string field, string directory, string source, CancellationToken cancellationToken)
    {
        var path = Path.IsPathRooted(reference) ? reference : Path.GetFullPath(Path.Combine(directory, reference));
        try
        {
            return Convert.ToBase64String(await InputFile.ReadAsync(path, MaxReferencedFileBytes, cancellationToken).ConfigureAwait(false));
        }
        catch (InputFileException ex)
        {
            throw new ClusterConfigException($"kubeconfig {source} cannot be used: its {field} {path} {ex.Problem}", ex);
        }
        catch (FileNotFoundException ex)
        {
            throw new ClusterConfigException($"kubeconfig {source} cannot be used: its {field} {path} does not exist; fix the path in the kubeconfig", ex);
        }
    }

    // A certificate chain or key is a few KiB; 1 MiB leaves room for any real bundle of CAs.
    private const int MaxReferencedFileBytes = 1024 * 1024;

    private static KubernetesClientConfiguration InCluster()
    {
        try
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }
        catch (Exception ex) when (ex is KubeConfigException or IOException or UnauthorizedAccessException)
        {
            throw new ClusterConfigException($"the pod's service account cannot be used: {ex.Message}; pass --kubeconfig FILE", ex);
        }
    }
}

/// <summary>No usable cluster configuration; the message names what was tried and the flag that fixes it.</summary>
public sealed class ClusterConfigException : Exception
{
    public ClusterConfigException()
    {
    }

    public ClusterConfigException(string message)
        : base(message)
    {
    }

    public ClusterConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
