using System.Text;
using System.Text.Json;
using Wasme.Oci.Manifests;
using Wasme.Oci.Store;

namespace Wasme.Oci.Registry.Auth;

/// <summary>
/// Writes wasme's credentials file in Docker config format (<c>wasme login</c>/<c>logout</c>).
/// Keeps every other key in the file, writes atomically, and makes the file readable by the owner only.
/// </summary>
public sealed class CredentialStore(string path)
{
    public string Path { get; } = path;

    public async Task SaveAsync(string registry, RegistryCredential credential, CancellationToken cancellationToken = default)
    {
        var config = Load();
        var auths = new Dictionary<string, DockerAuthEntry>(config.Auths ?? [], StringComparer.Ordinal);
        foreach (var key in auths.Keys.Where(k => DockerConfigCredentialProvider.Normalize(k) == registry).ToList())
        {
            auths.Remove(key);
        }

        auths[registry] = new DockerAuthEntry
        {
            Auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")),
            IdentityToken = credential.IdentityToken,
        };
        await WriteAsync(config with { Auths = auths }, cancellationToken).ConfigureAwait(false);
    }

    /// <returns>True when an entry was removed.</returns>
    public async Task<bool> RemoveAsync(string registry, CancellationToken cancellationToken = default)
    {
        var config = Load();
        if (config.Auths is null)
        {
            return false;
        }

        var auths = new Dictionary<string, DockerAuthEntry>(config.Auths, StringComparer.Ordinal);
        var removed = auths.Keys.Where(k => DockerConfigCredentialProvider.Normalize(k) == registry).ToList();
        foreach (var key in removed)
        {
            auths.Remove(key);
        }

        if (removed.Count > 0)
        {
            await WriteAsync(config with { Auths = auths }, cancellationToken).ConfigureAwait(false);
        }

        return removed.Count > 0;
    }

    private DockerConfigFile Load() => File.Exists(Path) ? DockerConfigCredentialProvider.ReadFile(Path) : new DockerConfigFile();

    private async Task WriteAsync(DockerConfigFile config, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(config, OciJsonContext.Default.DockerConfigFile);
        // Created owner-only from the start: the secret is never readable by others, not even briefly.
        await AtomicFile.WriteAsync(Path, bytes, cancellationToken, UnixFileMode.UserRead | UnixFileMode.UserWrite).ConfigureAwait(false);
    }
}
