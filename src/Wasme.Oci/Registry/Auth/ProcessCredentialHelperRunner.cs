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

    // docker-credential-helpers answer with a JSON document of a few hundred bytes.
    private const int MaxOutputChars = 1024 * 1024;
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
            var output = ReadBoundedAsync(process, process.StandardOutput, timeout.Token);
            var error = ReadBoundedAsync(process, process.StandardError, timeout.Token);
            try
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), timeout.Token).ConfigureAwait(false);
                process.StandardInput.Close();
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C or the timeout: the helper must not outlive the command either way.
                Stop(process);
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                throw new OciAuthException($"{program} {verb} did not answer within {Timeout.TotalSeconds} s.");
            }
            catch (IOException) when (process.HasExited)
            {
                // The helper exited without reading its input; its exit code and message below say why.
            }

            var (stdout, stderr) = (await output.ConfigureAwait(false), await error.ConfigureAwait(false));
            if (stdout is null || stderr is null)
            {
                throw new OciAuthException($"{program} {verb} printed more than {MaxOutputChars / (1024 * 1024)} MiB; a credential helper answers with one small JSON document: check {program}, or remove it from the Docker config.");
            }

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

    /// <summary>
    /// What the helper prints, or null once it passes <see cref="MaxOutputChars"/>: then the helper is stopped, as one that
    /// never stops printing (a broken build, <c>yes</c> by mistake) would otherwise fill the memory until the timeout.
    /// </summary>
    private static async Task<string?> ReadBoundedAsync(Process process, StreamReader reader, CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder();
        var chunk = new char[16 * 1024];
        int read;
        while ((read = await reader.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (text.Length + read > MaxOutputChars)
            {
                Stop(process);
                return null;
            }

            text.Append(chunk, 0, read);
        }

        return text.ToString();
    }

    private static void Stop(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
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
