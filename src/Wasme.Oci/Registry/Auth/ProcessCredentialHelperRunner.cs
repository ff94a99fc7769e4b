using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;

namespace Wasme.Oci.Registry.Auth;

/// <summary>
/// Runs <c>docker-credential-&lt;name&gt; get</c> from PATH, as docker does: server URL on stdin, JSON on stdout.
/// PATH is read through <paramref name="getEnvironmentVariable"/> (the process environment by default) so
/// the helper found is the one the caller's environment names.
/// </summary>
public sealed partial class ProcessCredentialHelperRunner(Func<string, string?>? getEnvironmentVariable = null) : ICredentialHelperRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Func<string, string?> _getEnvironmentVariable = getEnvironmentVariable ?? Environment.GetEnvironmentVariable;

    public async Task<RegistryCredential?> GetAsync(string helper, string serverUrl, CancellationToken cancellationToken)
    {
        if (!HelperName().IsMatch(helper))
        {
            throw new OciUsageException($"Credential helper name '{helper}' in the Docker config is invalid.");
        }

        var program = "docker-credential-" + helper;
        var executable = FindOnPath(program)
            ?? throw new OciAuthException($"The Docker config names credential helper '{helper}', but '{program}' is not on PATH. Install it or remove it from the config.");
        var start = new ProcessStartInfo(executable, "get")
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
            throw new OciAuthException($"The Docker config names credential helper '{helper}', but '{program}' is not on PATH. Install it or remove it from the config.", ex);
        }

        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            await process.StandardInput.WriteAsync(serverUrl).ConfigureAwait(false);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new OciAuthException($"{program} did not answer within {Timeout.TotalSeconds} s.");
            }

            var stdout = await output.ConfigureAwait(false);
            var stderr = await error.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                if ((stdout + stderr).Contains("credentials not found", StringComparison.OrdinalIgnoreCase))
                {
                    return null;
                }

                // The helper's own message; it does not contain the secret.
                throw new OciAuthException($"{program} failed (exit {process.ExitCode}): {stderr.Trim()}{stdout.Trim()}");
            }

            try
            {
                var parsed = JsonSerializer.Deserialize(stdout, OciJsonContext.Default.CredentialHelperOutput);
                if (parsed?.Username is null || parsed.Secret is null)
                {
                    return null;
                }

                // "<token>" as username means the secret is an identity token.
                return parsed.Username == "<token>"
                    ? new RegistryCredential(parsed.Username, string.Empty) { IdentityToken = parsed.Secret }
                    : new RegistryCredential(parsed.Username, parsed.Secret);
            }
            catch (JsonException ex)
            {
                throw new OciAuthException($"{program} printed something that is not JSON.", ex);
            }
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
