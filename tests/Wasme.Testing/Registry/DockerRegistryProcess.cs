using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Wasme.Testing.Registry;

/// <summary>
/// A real Distribution (docker-registry 2.8) process on 127.0.0.1 port 0 (the port it logs is the one used) with a temporary
/// config and storage directory; anonymous, htpasswd or token auth; optionally on another local
/// address and over TLS with a self-signed certificate. Ready when the registry logs that it
/// listens; killed and deleted on dispose.
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

    private DockerRegistryProcess(Process process, string directory, IPAddress address, RegistryAuthMode mode, TokenIssuer? tokenIssuer)
    {
        _process = process;
        Directory_ = directory;
        Address = address;
        Mode = mode;
        _tokenIssuer = tokenIssuer;
    }

    public IPAddress Address { get; }

    /// <summary>The port the registry bound and logged (it is started on port 0, so no other process can take it first).</summary>
    public int Port { get; private set; }

    public RegistryAuthMode Mode { get; }

    /// <summary><c>ADDRESS:PORT</c> (127.0.0.1 unless asked otherwise), the registry part of image references.</summary>
    public string Host => $"{Address}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Where the registry keeps a blob on disk: tests alter it to play a registry whose storage was tampered with.</summary>
    public string BlobDataPath(string digestHex) =>
        Path.Combine(Directory_, "data", "docker", "registry", "v2", "blobs", "sha256", digestHex[..2], digestHex, "data");

    /// <summary>The token issuer (token mode only): counts and records what clients asked.</summary>
    public TokenIssuer? TokenIssuer => _tokenIssuer;

    private string Directory_ { get; }

    public static Task<DockerRegistryProcess> StartAsync(RegistryAuthMode mode = RegistryAuthMode.Anonymous, CancellationToken cancellationToken = default) =>
        StartAsync(mode, IPAddress.Loopback, tls: false, cancellationToken);

    /// <summary>
    /// Starts on <paramref name="address"/> (a local interface); with <paramref name="tls"/> it serves
    /// HTTPS with a fresh self-signed certificate for that address, which clients do not trust.
    /// </summary>
    public static async Task<DockerRegistryProcess> StartAsync(RegistryAuthMode mode, IPAddress address, bool tls, CancellationToken cancellationToken = default)
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

        var tlsConfig = tls ? await WriteSelfSignedCertificateAsync(directory, address, cancellationToken) : string.Empty;
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
              addr: {address}:0
              secret: wasme-test-secret
            {tlsConfig}
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
        var registry = new DockerRegistryProcess(process, directory, address, mode, issuer);
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

    /// <summary>Writes a self-signed certificate and key for the address; returns the lines under <c>http:</c> that enable TLS.</summary>
    private static async Task<string> WriteSelfSignedCertificateAsync(string directory, IPAddress address, CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=wasme-test-registry", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(address);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(directory, "registry.crt");
        var keyPath = Path.Combine(directory, "registry.key");
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem(), cancellationToken);
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem(), cancellationToken);
        return $"  tls:\n    certificate: {certificatePath}\n    key: {keyPath}";
    }

    private async Task WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        // Distribution logs "listening on 127.0.0.1:PORT" once the socket is bound, with the port the kernel chose for
        // port 0: wait for that line, not a fixed time, and take the port from it.
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

                if (ListeningPort(line) is { } port)
                {
                    Port = port;
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

    private static int? ListeningPort(string line)
    {
        var match = System.Text.RegularExpressions.Regex.Match(line, @"listening on \S*:(?<port>\d+)");
        return match.Success ? int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture) : null;
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
