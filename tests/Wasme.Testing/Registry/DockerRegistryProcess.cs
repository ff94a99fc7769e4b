using System.Diagnostics;
using System.Globalization;

namespace Wasme.Testing.Registry;

/// <summary>
/// A real Distribution (docker-registry 2.8) process on a free 127.0.0.1 port with a temporary
/// config and storage directory; anonymous, htpasswd or token auth. Ready when the registry logs
/// that it listens; killed and deleted on dispose.
/// </summary>
public sealed class DockerRegistryProcess : IAsyncDisposable
{
    public const string Binary = "/usr/bin/docker-registry";
    public const string User = "wasme-user";
    public const string Password = "s3cret-Pa55word";
    public const string TokenService = "wasme-test-registry";

    private readonly Process _process;
    private readonly TokenIssuer? _tokenIssuer;
    private readonly List<string> _log = [];

    private DockerRegistryProcess(Process process, string directory, int port, RegistryAuthMode mode, TokenIssuer? tokenIssuer)
    {
        _process = process;
        Directory_ = directory;
        Port = port;
        Mode = mode;
        _tokenIssuer = tokenIssuer;
    }

    public int Port { get; }

    public RegistryAuthMode Mode { get; }

    /// <summary><c>127.0.0.1:PORT</c>, the registry part of image references.</summary>
    public string Host => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The token issuer (token mode only): counts and records what clients asked.</summary>
    public TokenIssuer? TokenIssuer => _tokenIssuer;

    private string Directory_ { get; }

    public static async Task<DockerRegistryProcess> StartAsync(RegistryAuthMode mode = RegistryAuthMode.Anonymous, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: install the Debian package 'docker-registry' (eng/install-prerequisites.sh does).");
        }

        var directory = Directory.CreateTempSubdirectory("wasme-registry-").FullName;
        TokenIssuer? issuer = null;
        var auth = string.Empty;
        switch (mode)
        {
            case RegistryAuthMode.Htpasswd:
                var htpasswd = Path.Combine(directory, "htpasswd");
                await File.WriteAllTextAsync(htpasswd, $"{User}:{BCrypt.Net.BCrypt.HashPassword(Password, workFactor: 5)}\n", cancellationToken);
                auth = $"auth:\n  htpasswd:\n    realm: wasme-test\n    path: {htpasswd}\n";
                break;
            case RegistryAuthMode.Token:
                issuer = await TokenIssuer.StartAsync(TokenService, User, Password, cancellationToken);
                var bundle = Path.Combine(directory, "token-root.crt");
                await File.WriteAllTextAsync(bundle, issuer.CertificatePem, cancellationToken);
                auth = $"auth:\n  token:\n    realm: {issuer.Realm}\n    service: {TokenService}\n    issuer: {TokenIssuer.Issuer}\n    rootcertbundle: {bundle}\n";
                break;
        }

        var port = TestPorts.GetFree();
        var config = Path.Combine(directory, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {Path.Combine(directory, "data")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
              secret: wasme-test-secret
            {auth}
            """, cancellationToken);

        var start = new ProcessStartInfo(Binary, ["serve", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["OTEL_TRACES_EXPORTER"] = "none";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start docker-registry");
        var registry = new DockerRegistryProcess(process, directory, port, mode, issuer);
        await registry.WaitUntilListeningAsync(cancellationToken);
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        finally
        {
            _process.Dispose();
            if (_tokenIssuer is not null)
            {
                await _tokenIssuer.DisposeAsync();
            }

            try
            {
                Directory.Delete(Directory_, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        // Distribution logs "listening on 127.0.0.1:PORT" once the socket is bound: wait for that line, not a fixed time.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        _ = DrainAsync(_process.StandardOutput);
        try
        {
            while (await _process.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                lock (_log)
                {
                    _log.Add(line);
                }

                if (line.Contains("listening on", StringComparison.Ordinal))
                {
                    _ = DrainAsync(_process.StandardError);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        throw new InvalidOperationException($"docker-registry did not start:\n{string.Join('\n', _log)}");
    }

    private async Task DrainAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (_log)
                {
                    if (_log.Count < 500)
                    {
                        _log.Add(line);
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
