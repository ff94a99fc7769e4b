using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;

namespace Wasme.Oci.Registry.Auth;

/// <summary>
/// Runs <c>docker-credential-&lt;name&gt;</c> from PATH as docker does: <c>get</c> and <c>erase</c> take the
/// server URL on stdin, <c>store</c> takes <c>{"ServerURL","Username","Secret"}</c>; <c>get</c> answers JSON.
/// PATH is read through <paramref name="getEnvironmentVariable"/> (the process environment by default) so
/// the helper found is the one the caller's environment names.
/// </summary>
public sealed partial class ProcessCredentialHelperRunner(Func<string, string?>? getEnvironmentVariable = null) : ICredentialHelperRunner
{
    private const string TokenUsername = "<token>";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Func<string, string?> _getEnvironmentVariable = getEnvironmentVariable ?? Environment.GetEnvironmentVariable;

    public async Task<RegistryCredential?> GetAsync(string helper, string serverUrl, CancellationToken cancellationToken)
    {
        var (found, stdout, program) = await RunAsync(helper, "get", serverUrl, cancellationToken).ConfigureAwait(false);
        if (!found)
        {
            return null;
        }

        try
        {
            var parsed = JsonSerializer.Deserialize(stdout, OciJsonContext.Default.CredentialHelperOutput);
            if (parsed?.Username is null || parsed.Secret is null)
            {
                return null;
            }

            // "<token>" as username means the secret is an identity token.
            return parsed.Username == TokenUsername
                ? new RegistryCredential(parsed.Username, string.Empty) { IdentityToken = parsed.Secret }
                : new RegistryCredential(parsed.Username, parsed.Secret);
        }
        catch (JsonException ex)
        {
            throw new OciAuthException($"{program} printed something that is not JSON.", ex);
        }
    }

    public Task StoreAsync(string helper, string serverUrl, RegistryCredential credential, CancellationToken cancellationToken)
    {
        var input = credential.IdentityToken is { Length: > 0 } token
            ? new CredentialHelperOutput { ServerUrl = serverUrl, Username = TokenUsername, Secret = token }
            : new CredentialHelperOutput { ServerUrl = serverUrl, Username = credential.Username, Secret = credential.Password };
        return RunAsync(helper, "store", JsonSerializer.Serialize(input, OciJsonContext.Written.CredentialHelperOutput), cancellationToken);
    }

    public async Task<bool> EraseAsync(string helper, string serverUrl, CancellationToken cancellationToken) =>
        (await RunAsync(helper, "erase", serverUrl, cancellationToken).ConfigureAwait(false)).Found;

    /// <returns>Found is false when the helper says "credentials not found" (docker's convention for none).</returns>
    private async Task<(bool Found, string Stdout, string Program)> RunAsync(string helper, string verb, string input, CancellationToken cancellationToken)
    {
        if (!HelperName().IsMatch(helper))
        {
            throw new OciUsageException($"Credential helper name '{helper}' in the Docker config is invalid.");
        }

        var program = "docker-credential-" + helper;
        var missing = $"The Docker config names credential helper '{helper}', but '{program}' is not on PATH. Install it or remove it from the config.";
        var executable = FindOnPath(program) ?? throw new OciAuthException(missing);
        var start = new ProcessStartInfo(executable, verb)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new OciAuthException($"Could not start {program}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new OciAuthException(missing, ex);
        }

        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), timeout.Token).ConfigureAwait(false);
                process.StandardInput.Close();
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new OciAuthException($"{program} {verb} did not answer within {Timeout.TotalSeconds} s.");
            }
            catch (IOException) when (process.HasExited)
            {
                // The helper exited without reading its input; its exit code and message below say why.
            }

            var stdout = await output.ConfigureAwait(false);
            var stderr = await error.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                if ((stdout + stderr).Contains("credentials not found", StringComparison.OrdinalIgnoreCase))
                {
                    return (false, stdout, program);
                }

                // The helper's own message; helpers do not echo the secret.
                throw new OciAuthException($"{program} {verb} failed (exit {process.ExitCode}): {stderr.Trim()}{stdout.Trim()}");
            }

            return (true, stdout, program);
        }
    }

    private string? FindOnPath(string program)
    {
        foreach (var directory in (_getEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex HelperName();
}
