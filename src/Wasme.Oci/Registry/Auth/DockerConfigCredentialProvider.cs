using System.Text;
using System.Text.Json;
using Wasme.Input;
using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;

namespace Wasme.Oci.Registry.Auth;

/// <summary>
/// Credentials from Docker config files, in order: <c>$DOCKER_CONFIG/config.json</c> or
/// <c>~/.docker/config.json</c> (where <c>wasme login</c> and <c>docker login</c> write), then the
/// containers auth file that skopeo and podman write (<c>$REGISTRY_AUTH_FILE</c>, or
/// <c>$XDG_RUNTIME_DIR/containers/auth.json</c>), then the file earlier wasme versions wrote.
/// Honours <c>auths</c>, <c>credHelpers</c> and <c>credsStore</c> (running <c>docker-credential-&lt;name&gt; get</c>).
/// </summary>
public sealed class DockerConfigCredentialProvider : ICredentialProvider
{
    private readonly Func<CancellationToken, Task<IReadOnlyList<DockerConfigFile>>> _load;
    private readonly ICredentialHelperRunner? _helpers;
    private readonly Lock _gate = new();
    private Task<IReadOnlyList<DockerConfigFile>>? _configs;

    private DockerConfigCredentialProvider(Func<CancellationToken, Task<IReadOnlyList<DockerConfigFile>>> load, ICredentialHelperRunner? helpers)
    {
        _load = load;
        _helpers = helpers;
    }

    /// <summary>
    /// The file <c>wasme login</c> wrote before it wrote Docker's: <c>~/.wasme/credentials.json</c>, or
    /// <c>WASME_CREDENTIALS</c>. Still read; <c>wasme login</c> and <c>logout</c> remove a registry from it.
    /// </summary>
    public static string LegacyWasmeConfigPath(Func<string, string?> getEnvironmentVariable)
    {
        if (getEnvironmentVariable("WASME_CREDENTIALS") is { Length: > 0 } explicitPath)
        {
            return explicitPath;
        }

        return Path.Combine(Home(getEnvironmentVariable), ".wasme", "credentials.json");
    }

    /// <summary>Docker's file: <c>$DOCKER_CONFIG/config.json</c> or <c>~/.docker/config.json</c>.</summary>
    public static string DefaultDockerConfigPath(Func<string, string?> getEnvironmentVariable) =>
        getEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } dir
            ? Path.Combine(dir, "config.json")
            : Path.Combine(Home(getEnvironmentVariable), ".docker", "config.json");

    /// <summary>
    /// The auth file skopeo, podman and buildah write: <c>$REGISTRY_AUTH_FILE</c>, or
    /// <c>$XDG_RUNTIME_DIR/containers/auth.json</c>; null when neither variable is set.
    /// </summary>
    public static string? ContainersAuthPath(Func<string, string?> getEnvironmentVariable) =>
        getEnvironmentVariable("REGISTRY_AUTH_FILE") is { Length: > 0 } file ? file
        : getEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime ? Path.Combine(runtime, "containers", "auth.json")
        : null;

    /// <summary>The provider the CLI uses: docker's file, then the containers auth file, then wasme's old file; credential helpers allowed.</summary>
    public static DockerConfigCredentialProvider FromEnvironment(Func<string, string?> getEnvironmentVariable, ICredentialHelperRunner? helpers = null)
    {
        List<string> files = [DefaultDockerConfigPath(getEnvironmentVariable)];
        if (ContainersAuthPath(getEnvironmentVariable) is { } containers)
        {
            files.Add(containers);
        }

        files.Add(LegacyWasmeConfigPath(getEnvironmentVariable));
        return FromFiles(files, helpers ?? new ProcessCredentialHelperRunner(getEnvironmentVariable));
    }

    /// <summary>
    /// Reads the files that exist when credentials are first asked for (missing ones are skipped; a malformed one is a
    /// usage error naming it). Read then, not here, so that the read can be cancelled: a FIFO's open waits for a writer.
    /// </summary>
    public static DockerConfigCredentialProvider FromFiles(IEnumerable<string> paths, ICredentialHelperRunner? helpers = null)
    {
        List<string> files = [.. paths];
        return new DockerConfigCredentialProvider(
            async cancellationToken =>
            {
                var configs = new List<DockerConfigFile>();
                foreach (var path in files.Where(File.Exists))
                {
                    if (await ReadFileAsync(path, cancellationToken).ConfigureAwait(false) is { } config)
                    {
                        configs.Add(config);
                    }
                }

                return configs;
            },
            helpers);
    }

    /// <summary>
    /// From the JSON of a <c>kubernetes.io/dockerconfigjson</c> secret (<c>.dockerconfigjson</c>) or a
    /// legacy <c>.dockercfg</c> map. Credential helpers are ignored: a secret must not run programs.
    /// </summary>
    public static DockerConfigCredentialProvider FromJson(ReadOnlySpan<byte> dockerConfigJson)
    {
        var config = Parse(dockerConfigJson, "the pull secret");
        if (config.Auths is null && config.Other is { Count: > 0 } legacy)
        {
            // .dockercfg: the auths map at the top level.
            var auths = new Dictionary<string, DockerAuthEntry>();
            foreach (var (key, value) in legacy)
            {
                if (value.ValueKind == JsonValueKind.Object)
                {
                    auths[key] = value.Deserialize(OciJsonContext.Default.DockerAuthEntry) ?? new DockerAuthEntry();
                }
            }

            config = new DockerConfigFile { Auths = auths };
        }

        IReadOnlyList<DockerConfigFile> configs = [config with { CredHelpers = null, CredsStore = null }];
        return new DockerConfigCredentialProvider(_ => Task.FromResult(configs), helpers: null);
    }

    public async ValueTask<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken)
    {
        Task<IReadOnlyList<DockerConfigFile>> loading;
        lock (_gate)
        {
            // Read once; again only after a cancelled read, whose caller stopped waiting.
            loading = _configs is { IsCanceled: false } started ? started : _configs = _load(cancellationToken);
        }

        foreach (var config in await loading.WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_helpers is not null && config.CredHelpers is { } helpers)
            {
                foreach (var (key, helper) in helpers)
                {
                    if (Normalize(key) == registry)
                    {
                        return await _helpers.GetAsync(helper, ServerUrl(registry), cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            if (config.Auths is { } auths)
            {
                foreach (var (key, entry) in auths)
                {
                    if (Normalize(key) == registry && Decode(entry, key) is { } credential)
                    {
                        return credential;
                    }
                }
            }

            if (_helpers is not null && config.CredsStore is { Length: > 0 } store
                && await _helpers.GetAsync(store, ServerUrl(registry), cancellationToken).ConfigureAwait(false) is { } stored)
            {
                return stored;
            }
        }

        return null;
    }

    /// <summary>Maps a config key (<c>https://index.docker.io/v1/</c>, <c>http://host:5000</c>) to a registry host as in <see cref="ImageReference.Registry"/>.</summary>
    public static string Normalize(string key)
    {
        var host = key;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }

        var slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            host = host[..slash];
        }

        return host is "index.docker.io" or "registry-1.docker.io" ? ImageReference.DefaultRegistry : host;
    }

    /// <summary>
    /// The file read through <see cref="InputFile"/>, at most <see cref="RegistryLimits.MaxConfigSize"/> whatever length
    /// the file system reports (<c>/dev/zero</c> reports 0 and never ends); null when it is gone.
    /// </summary>
    internal static async Task<DockerConfigFile?> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await InputFile.ReadAsync(path, (int)RegistryLimits.MaxConfigSize, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (InputFileException ex)
        {
            throw new OciUsageException($"{ex.Message}; it is read as a Docker config file (JSON with an 'auths' map): fix or remove it, or point DOCKER_CONFIG elsewhere.", ex);
        }

        return Parse(bytes, path);
    }

    private static DockerConfigFile Parse(ReadOnlySpan<byte> json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize(json, OciJsonContext.Default.DockerConfigFile) ?? new DockerConfigFile();
        }
        catch (JsonException ex)
        {
            throw new OciUsageException($"{source} is not a valid Docker config file ({ex.Message}). Fix it or remove it and run 'wasme login' again.", ex);
        }
    }

    private static RegistryCredential? Decode(DockerAuthEntry entry, string key)
    {
        if (!string.IsNullOrEmpty(entry.Auth))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(entry.Auth));
            }
            catch (FormatException ex)
            {
                throw new OciUsageException($"The saved credential for '{key}' is not valid base64. Run 'wasme login {Normalize(key)}' again.", ex);
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new OciUsageException($"The saved credential for '{key}' is not 'user:password'. Run 'wasme login {Normalize(key)}' again.");
            }

            return new RegistryCredential(decoded[..colon], decoded[(colon + 1)..]) { IdentityToken = entry.IdentityToken };
        }

        if (!string.IsNullOrEmpty(entry.Username) && entry.Password is not null)
        {
            return new RegistryCredential(entry.Username, entry.Password) { IdentityToken = entry.IdentityToken };
        }

        return null;
    }

    /// <summary>The key docker writes and helpers are asked for: Docker Hub under its historic URL, any other registry as host[:port].</summary>
    internal static string ServerUrl(string registry) => registry == ImageReference.DefaultRegistry ? "https://index.docker.io/v1/" : registry;

    private static string Home(Func<string, string?> getEnvironmentVariable) =>
        getEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
}
