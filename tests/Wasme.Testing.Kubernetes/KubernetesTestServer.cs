using System.Net;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Testing.Kubernetes.Authentication;
using Wasme.Testing.Kubernetes.Authorization;
using Wasme.Testing.Kubernetes.Faults;
using Wasme.Testing.Kubernetes.Hosting;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Lifecycle;
using Wasme.Testing.Kubernetes.Resources;
using Wasme.Testing.Kubernetes.Storage;

namespace Wasme.Testing.Kubernetes;

/// <summary>
/// An in-process Kubernetes API server on https://127.0.0.1 that kubectl and KubernetesClient accept as real:
/// discovery, CRDs with schemas, CRUD with resourceVersion conflicts, watch, patches, finalizers, garbage collection,
/// bearer-token authentication and RBAC authorization.
/// <code>
/// await using var server = await KubernetesTestServer.StartAsync();
/// var client = server.CreateClient();          // KubernetesClient
/// // or: KUBECONFIG=server.KubeconfigPath kubectl get ns
/// </code>
/// </summary>
public sealed class KubernetesTestServer : IAsyncDisposable
{
    // In-process seeding writes as a client of its own, so the objects carry managedFields as in a cluster.
    private static WriteOptions SeedOptions => new() { FieldManager = "kubernetes-test-server" };
    private readonly Func<int, CancellationToken, Task<WebApplication>> _listen;
    private readonly SemaphoreSlim _listening = new(1, 1);
    private WebApplication? _app;
    private readonly ObjectStore _store;
    private readonly ResourceService _service;
    private readonly GarbageCollector _collector;
    private readonly ITimer _bookmarkTimer;
    private readonly string? _ownedDirectory;
    private readonly AccessControl _access;
    private readonly string _adminToken;
    private readonly ServingCertificates _certificates;
    private bool _istioValidationWebhook;

    private KubernetesTestServer(WebApplication app, Func<int, CancellationToken, Task<WebApplication>> listen, ObjectStore store, ResourceService service, GarbageCollector collector,
        FaultInjector faults, RequestLog requests, Uri url, string kubeconfigPath, string? ownedDirectory, ITimer bookmarkTimer,
        AccessControl access, AuthorizationLog authorizations, string adminToken, ServingCertificates certificates)
    {
        _certificates = certificates;
        _access = access;
        Authorizations = authorizations;
        _adminToken = adminToken;
        _app = app;
        _listen = listen;
        _store = store;
        _service = service;
        _collector = collector;
        Faults = faults;
        Requests = requests;
        Url = url;
        KubeconfigPath = kubeconfigPath;
        _ownedDirectory = ownedDirectory;
        _bookmarkTimer = bookmarkTimer;
    }

    /// <summary>The server's base address, <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Url { get; }

    /// <summary>A kubeconfig whose current context points at this server (for kubectl: <c>KUBECONFIG</c> or <c>--kubeconfig</c>).</summary>
    public string KubeconfigPath { get; }

    /// <summary>Switches for conflicts, failing paths, dropped watches and latency.</summary>
    public FaultInjector Faults { get; }

    /// <summary>The requests answered so far.</summary>
    public RequestLog Requests { get; }

    /// <summary>Every authorization decision (who did what, allowed or not), e.g. to prove a ServiceAccount's RBAC was all needed.</summary>
    public AuthorizationLog Authorizations { get; }

    /// <summary>The resources currently served (built-ins plus established CRDs).</summary>
    public ResourceRegistry Resources => _service.Registry;

    /// <summary>The latest resourceVersion handed out (the global revision).</summary>
    public long ResourceVersion => _store.Revision;

    /// <summary>False between <see cref="StopListeningAsync"/> and <see cref="StartListeningAsync"/>.</summary>
    public bool IsListening => _app is not null;

    /// <summary>Number of watch streams open right now.</summary>
    public int ActiveWatches => _store.ActiveWatches;

    public static async Task<KubernetesTestServer> StartAsync(KubernetesTestServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KubernetesTestServerOptions();
        options.Validate();
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var store = new ObjectStore(options.WatchHistoryLimit);
        var registry = new ResourceRegistry(BuiltInResources.All);
        var service = new ResourceService(store, registry, options.TimeProvider, options.AutoCreateNamespaces);
        foreach (var ns in options.InitialNamespaces)
        {
            service.Create(registry.Find("", "v1", "namespaces")!, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, WriteOptions.Default);
        }

        foreach (var policy in BootstrapPolicy.Objects())
        {
            service.Create(registry.FindByKind(policy.GetString("apiVersion")!, policy.GetString("kind")!)!, null, policy, WriteOptions.Default);
        }

        var adminToken = TokenAuthenticator.NewToken();
        var authenticator = new TokenAuthenticator(adminToken, options.TimeProvider, (ns, name) => ServiceAccountUid(service, ns, name));
        var authorizations = new AuthorizationLog();
        var access = new AccessControl(authenticator, new RbacAuthorizer(service), service, authorizations, options.TimeProvider);
        var faults = new FaultInjector(store);
        var requests = new RequestLog();
        var handler = new ApiHandler(service, new WatchStream(store, options.TimeProvider, options.BookmarkInterval), faults, requests,
            options.TimeProvider, options.GitVersion, loggerFactory.CreateLogger<KubernetesTestServer>(), access);

        var certificates = ServingCertificates.Create(options.TimeProvider);
        async Task<WebApplication> ListenAsync(int port, CancellationToken cancellationToken)
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(certificates.Server)));
            var app = builder.Build();
            app.Run(handler.HandleAsync);
            await app.StartAsync(cancellationToken);
            return app;
        }

        var app = await ListenAsync(options.Port, cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var url = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        string? ownedDirectory = null;
        var kubeconfigPath = options.KubeconfigPath;
        if (kubeconfigPath is null)
        {
            ownedDirectory = Directory.CreateTempSubdirectory("wasme-kube-").FullName;
            kubeconfigPath = Path.Combine(ownedDirectory, "kubeconfig");
        }

        Kubeconfig.Write(kubeconfigPath, url, certificates.AuthorityPem, adminToken);
        var collector = new GarbageCollector(store, service);
        var bookmarkTimer = options.TimeProvider.CreateTimer(_ => store.Bookmark(), null, options.BookmarkInterval, options.BookmarkInterval);
        return new KubernetesTestServer(app, ListenAsync, store, service, collector, faults, requests, url, kubeconfigPath, ownedDirectory, bookmarkTimer,
            access, authorizations, adminToken, certificates)
        {
            _istioValidationWebhook = options.IstioValidationWebhook,
        };
    }

    private static string? ServiceAccountUid(ResourceService service, string ns, string name)
    {
        try
        {
            return service.Get(service.Registry.Find("", "v1", "serviceaccounts")!, ns, name).Uid();
        }
        catch (ApiException e) when (e.Code == 404)
        {
            return null;
        }
    }

    /// <summary>Client settings for KubernetesClient pointing at this server, as the admin (<c>system:masters</c>).</summary>
    public KubernetesClientConfiguration CreateClientConfiguration() => new()
    {
        Host = Url.ToString().TrimEnd('/'),
        Namespace = "default",
        AccessToken = _adminToken,
        SslCaCerts = [_certificates.Authority],
    };

    /// <summary>A KubernetesClient for this server, as the admin; the caller disposes it.</summary>
    public IKubernetes CreateClient() => new k8s.Kubernetes(CreateClientConfiguration());

    /// <summary>
    /// A KubernetesClient that acts as the ServiceAccount (which must exist): a token from the TokenRequest API,
    /// so every call it makes is judged by the RBAC bound to that ServiceAccount. The caller disposes it.
    /// </summary>
    public IKubernetes CreateServiceAccountClient(string ns, string name, TimeSpan? lifetime = null) => new k8s.Kubernetes(new KubernetesClientConfiguration
    {
        Host = Url.ToString().TrimEnd('/'),
        Namespace = ns,
        AccessToken = _access.IssueToken(ns, name, lifetime ?? TimeSpan.FromHours(1)),
        SslCaCerts = [_certificates.Authority],
    });

    /// <summary>An HttpClient that trusts this server's certificate authority, for raw requests; the caller disposes it.</summary>
    public HttpClient CreateHttpClient(string? bearerToken = null)
    {
        var authority = _certificates.Authority;
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = Url };
        if (bearerToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearerToken);
        }

        return client;
    }

    /// <summary>
    /// Writes a kubeconfig that acts as the ServiceAccount (which must exist), as a pod mounting its token would;
    /// beside <see cref="KubeconfigPath"/> unless <paramref name="path"/> says where. Returns the path.
    /// </summary>
    public Task<string> CreateServiceAccountKubeconfigAsync(string ns, string name, string? path = null, TimeSpan? lifetime = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var token = _access.IssueToken(ns, name, lifetime ?? TimeSpan.FromHours(24));
        path ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(KubeconfigPath))!, $"kubeconfig-{ns}-{name}");
        Kubeconfig.Write(path, Url, _certificates.AuthorityPem, token, ns);
        return Task.FromResult(path);
    }

    /// <summary>What RBAC says about a request, as <c>kubectl auth can-i</c> would ask it, without recording it.</summary>
    public AuthorizationDecision Authorize(RequestAttributes request) => _access.Authorize(request);

    /// <summary>
    /// Creates, or replaces, every object in a (multi-document) YAML text, in order, without going through HTTP.
    /// CRDs become served at once, so a later document may use them.
    /// </summary>
    public IReadOnlyList<JsonObject> ApplyYaml(string yaml)
    {
        var applied = new List<JsonObject>();
        foreach (var document in YamlJson.ParseDocuments(yaml))
        {
            if (document is JsonObject obj)
            {
                applied.Add(Apply(obj));
            }
        }

        return applied;
    }

    /// <summary>Creates or replaces one object (any served kind) without going through HTTP.</summary>
    public JsonObject Apply(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var apiVersion = obj.GetString("apiVersion") ?? throw new ArgumentException("the object has no apiVersion", nameof(obj));
        var kind = obj.GetString("kind") ?? throw new ArgumentException("the object has no kind", nameof(obj));
        var type = _service.Registry.FindByKind(apiVersion, kind)
            ?? throw new ArgumentException($"no resource serves {kind} in {apiVersion}", nameof(obj));
        var ns = type.Namespaced ? obj.Namespace() is { Length: > 0 } given ? given : "default" : null;
        var name = obj.Name();
        try
        {
            var current = _service.Get(type, ns, name);
            var replacement = obj.CloneObject();
            replacement.Metadata()["resourceVersion"] = current.ResourceVersion();
            return _service.Replace(type, ns, name, replacement, subresource: null, SeedOptions);
        }
        catch (ApiException e) when (e.Code == 404 && name.Length > 0)
        {
            // Seeding is create-or-replace: a version copied from elsewhere means nothing here.
            var fresh = obj.CloneObject();
            fresh.Metadata().Remove("resourceVersion");
            return _service.Create(type, ns, fresh, SeedOptions);
        }
    }

    /// <summary>Reads an object as a client would see it; null when absent.</summary>
    public JsonObject? Get(string apiVersion, string kind, string? ns, string name)
    {
        var type = _service.Registry.FindByKind(apiVersion, kind) ?? throw new ArgumentException($"no resource serves {kind} in {apiVersion}");
        try
        {
            return _service.Get(type, ns, name);
        }
        catch (ApiException e) when (e.Code == 404)
        {
            return null;
        }
    }

    /// <summary>Installs Istio's CRDs so the server looks like a cluster with Istio; <paramref name="path"/> defaults to <see cref="IstioCrds.Find"/>.</summary>
    public async Task<IReadOnlyList<JsonObject>> InstallIstioCrdsAsync(string? path = null, CancellationToken cancellationToken = default)
    {
        path ??= IstioCrds.Find() ?? throw new FileNotFoundException(
            $"Istio's CRDs were not found; set {IstioCrds.EnvironmentVariable} to customresourcedefinitions.gen.yaml");
        var documents = await IstioCrds.LoadAsync(path, cancellationToken);
        var installed = documents.Select(d => Apply(d.CloneObject())).ToList();

        // A real Istio install brings istiod, whose validating webhook judges Istio config from then on.
        _service.IstioValidationWebhook = _istioValidationWebhook;
        return installed;
    }

    /// <summary>Forgets the watch history: resuming from any earlier resourceVersion now gets 410 Gone.</summary>
    public void Compact() => _store.Compact();

    /// <summary>Sends a BOOKMARK now to every open watch that allows them.</summary>
    public void SendBookmarks() => _store.Bookmark();

    /// <summary>Waits until garbage collection has caught up with every deletion made so far.</summary>
    public Task SettleGarbageCollectionAsync(CancellationToken cancellationToken = default) => _collector.SettleAsync(cancellationToken);

    /// <summary>
    /// Takes the API server down as a control-plane upgrade does: open watch streams end, and until
    /// <see cref="StartListeningAsync"/> every connection is refused (nothing listens on the port). The store, its
    /// resourceVersions and watch history, tokens and faults are kept. Does nothing when already down.
    /// </summary>
    public async Task StopListeningAsync(CancellationToken cancellationToken = default)
    {
        await _listening.WaitAsync(cancellationToken);
        try
        {
            if (_app is not { } app)
            {
                return;
            }

            _app = null;

            // Kestrel stops accepting at once, then waits for requests in flight; a watch opened just before would hold it
            // up, so streams are ended until it has stopped.
            var stopping = app.StopAsync(cancellationToken);
            while (!stopping.IsCompleted)
            {
                _store.DropWatches();
                await Task.WhenAny(stopping, Task.Delay(10, cancellationToken));
            }

            await stopping;
            await app.DisposeAsync();
        }
        finally
        {
            _listening.Release();
        }
    }

    /// <summary>Brings the API server back on the same address, with the data it had (see <see cref="StopListeningAsync"/>).</summary>
    public async Task StartListeningAsync(CancellationToken cancellationToken = default)
    {
        await _listening.WaitAsync(cancellationToken);
        try
        {
            _app ??= await _listen(Url.Port, cancellationToken);
        }
        finally
        {
            _listening.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _bookmarkTimer.DisposeAsync();
        await StopListeningAsync();
        _listening.Dispose();
        await _collector.DisposeAsync();
        _certificates.Dispose();
        if (_ownedDirectory is not null)
        {
            try
            {
                Directory.Delete(_ownedDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A kubectl still holding its cache there must not fail the test.
            }
        }
    }
}
