using System.Diagnostics;

namespace Wasme.Operator.Tests.Support;

/// <summary>Runs the real kubectl against the test server, with a private discovery cache.</summary>
internal static class Kubectl
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string kubeconfig, string? stdin, params string[] args)
    {
        var cacheDir = Directory.CreateTempSubdirectory("wasme-kubectl-cache-");
        try
        {
            var start = new ProcessStartInfo("kubectl")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var arg in args.Concat(["--kubeconfig", kubeconfig, "--cache-dir", cacheDir.FullName]))
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }

            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            cacheDir.Delete(recursive: true);
        }
    }

    public static async Task ApplyAsync(string kubeconfig, string yaml)
    {
        var (code, output) = await RunAsync(kubeconfig, yaml, "apply", "-f", "-");
        Assert.True(code == 0, $"kubectl apply failed: {output}");
    }
}
