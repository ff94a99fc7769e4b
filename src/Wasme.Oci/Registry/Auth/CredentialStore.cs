using System.Text;
using System.Text.Json;
using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;
using Wasme.Oci.Store;

namespace Wasme.Oci.Registry.Auth;

/// <summary>
/// Saves and erases one registry's credentials in a Docker config file, as <c>docker login</c>/<c>logout</c>
/// do: through the registry's <c>credHelpers</c> entry or the file's <c>credsStore</c> when a helper
/// runner is given and the file names one (the file then keeps an empty <c>auths</c> entry and no
/// secret), otherwise as base64 <c>auth</c> in <c>auths</c>. Keeps every other key, writes atomically,
/// and makes the file readable by the owner only. A symbolic link is followed, not replaced. Each change holds
/// <c>config.json.lock</c> beside the file from reading it to writing it back, so logins and logouts running at once
/// (a CI script logging in to several registries in parallel) keep each other's entries.
/// </summary>
public sealed class CredentialStore(string path, ICredentialHelperRunner? helpers = null, TimeProvider? timeProvider = null)
{
    private readonly TimeProvider _timeProvider = timeProvider ?? TimeProvider.System;

    public string Path { get; } = path;

    /// <returns>Where the secret went: the helper's program name, or null for the file itself.</returns>
    public async Task<string?> SaveAsync(string registry, RegistryCredential credential, CancellationToken cancellationToken = default)
    {
        var target = Target();
        await using var held = await LockAsync(target, cancellationToken).ConfigureAwait(false);
        RemoveAbandonedCopies(target);
        var config = await LoadAsync(cancellationToken).ConfigureAwait(false);
        var auths = WithoutEntries(config.Auths, registry);
        var helper = HelperFor(config, registry);
        if (helper is not null)
        {
            await helpers!.StoreAsync(helper, DockerConfigCredentialProvider.ServerUrl(registry), credential, cancellationToken).ConfigureAwait(false);
            auths[DockerConfigCredentialProvider.ServerUrl(registry)] = new DockerAuthEntry();
        }
        else
        {
            auths[DockerConfigCredentialProvider.ServerUrl(registry)] = new DockerAuthEntry
            {
                Auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")),
                IdentityToken = credential.IdentityToken,
            };
        }

        await WriteAsync(target, config with { Auths = auths }, cancellationToken).ConfigureAwait(false);
        return helper is null ? null : "docker-credential-" + helper;
    }

    /// <returns>True when an entry was removed from the file or the helper.</returns>
    public async Task<bool> RemoveAsync(string registry, CancellationToken cancellationToken = default)
    {
        var target = Target();
        if (!File.Exists(Path) && !HasAbandonedCopies(target))
        {
            return false;
        }

        await using var held = await LockAsync(target, cancellationToken).ConfigureAwait(false);
        RemoveAbandonedCopies(target);
        if (!File.Exists(Path))
        {
            return false;
        }

        var config = await LoadAsync(cancellationToken).ConfigureAwait(false);
        var erased = HelperFor(config, registry) is { } helper
            && await helpers!.EraseAsync(helper, DockerConfigCredentialProvider.ServerUrl(registry), cancellationToken).ConfigureAwait(false);
        var auths = WithoutEntries(config.Auths, registry);
        var removed = auths.Count != (config.Auths?.Count ?? 0);
        if (removed)
        {
            await WriteAsync(target, config with { Auths = auths }, cancellationToken).ConfigureAwait(false);
        }

        return removed || erased;
    }

    private string? HelperFor(DockerConfigFile config, string registry)
    {
        if (helpers is null)
        {
            return null;
        }

        foreach (var (key, helper) in config.CredHelpers ?? [])
        {
            if (DockerConfigCredentialProvider.Normalize(key) == registry && helper.Length > 0)
            {
                return helper;
            }
        }

        return config.CredsStore is { Length: > 0 } store ? store : null;
    }

    private static Dictionary<string, DockerAuthEntry> WithoutEntries(Dictionary<string, DockerAuthEntry>? auths, string registry)
    {
        var result = new Dictionary<string, DockerAuthEntry>(auths ?? [], StringComparer.Ordinal);
        foreach (var key in result.Keys.Where(k => DockerConfigCredentialProvider.Normalize(k) == registry).ToList())
        {
            result.Remove(key);
        }

        return result;
    }

    private async Task<StoreLock> LockAsync(string target, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            return await StoreLock.AcquireFileAsync(target + ".lock", "Docker config", _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(target, ex);
        }
    }

    // Replacing a link (dotfiles managers link config.json) would cut it: lock and write where it points.
    private string Target() => new FileInfo(Path).LinkTarget is null ? Path : File.ResolveLinkTarget(Path, returnFinalTarget: true)!.FullName;

    private static OciFileAccessException CannotWrite(string target, Exception ex) =>
        new(
            $"Cannot write the Docker config {target}: {ex.Message.TrimEnd('.', ' ')}. Nothing was changed in it. " +
            "Check that its directory is one you may write, or point DOCKER_CONFIG at one.",
            ex);

    /// <summary>
    /// A login or logout killed while writing leaves its temp file beside the config: a copy of it, secrets included,
    /// which a later logout must not leave behind. Each is named after the config, and every writer of the config holds
    /// its lock from before it creates one until it is renamed, so under the lock none is in use.
    /// </summary>
    private static void RemoveAbandonedCopies(string target)
    {
        foreach (var copy in AbandonedCopies(target))
        {
            AtomicFile.TryDelete(copy);
        }
    }

    private static bool HasAbandonedCopies(string target) => AbandonedCopies(target).Count > 0;

    private static List<string> AbandonedCopies(string target)
    {
        var directory = System.IO.Path.GetDirectoryName(target)!;
        try
        {
            return Directory.Exists(directory) ? [.. Directory.EnumerateFiles(directory, TempPrefix(target) + "*")] : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string TempPrefix(string target) => $".{System.IO.Path.GetFileName(target)}.tmp-";

    // A directory in the file's place is left to the write, which names it and the fix.
    private async Task<DockerConfigFile> LoadAsync(CancellationToken cancellationToken) =>
        (File.Exists(Path) ? await DockerConfigCredentialProvider.ReadFileAsync(Path, cancellationToken).ConfigureAwait(false) : null) ?? new DockerConfigFile();

    private static async Task WriteAsync(string target, DockerConfigFile config, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(config, OciJsonContext.Written.DockerConfigFile);
        try
        {
            // Created owner-only from the start: the secret is never readable by others, not even briefly.
            await AtomicFile.WriteAsync(target, bytes, cancellationToken, UnixFileMode.UserRead | UnixFileMode.UserWrite, TempPrefix(target)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(target, ex);
        }
    }
}
