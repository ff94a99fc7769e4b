using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

public sealed class AuthenticatedRegistryTests
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["add_header"]);

    [Theory]
    [InlineData(RegistryAuthMode.Htpasswd)]
    [InlineData(RegistryAuthMode.Token)]
    public async Task Push_and_pull_work_with_saved_credentials_and_fail_with_an_auth_error_without(RegistryAuthMode mode)
    {
        await using var registry = await DockerRegistryProcess.StartAsync(mode);
        using var store = new TestStore();
        var reference = ImageReference.Parse($"{registry.Host}/secured/filter:v1");
        var stored = await store.Store.AddAsync(reference, TestWasmModule.Create(1024), Config);
        var credentialsFile = Path.Combine(store.Root, "credentials.json");

        using (var anonymous = new RegistryClient(new RegistryClientOptions(), DockerConfigCredentialProvider.FromFiles([credentialsFile])))
        {
            var error = await Assert.ThrowsAsync<OciAuthException>(() => new ImagePusher(anonymous).PushAsync(store.Store, stored, reference));
            Assert.Contains($"wasme login {registry.Host}", error.Message, StringComparison.Ordinal);
        }

        await new CredentialStore(credentialsFile).SaveAsync(registry.Host, new RegistryCredential(DockerRegistryProcess.User, DockerRegistryProcess.Password));
        using var client = new RegistryClient(new RegistryClientOptions(), DockerConfigCredentialProvider.FromFiles([credentialsFile]));
        await client.CheckAccessAsync(registry.Host);
        var pushed = await new ImagePusher(client).PushAsync(store.Store, stored, reference);
        using var other = new TestStore();
        var pulled = await new ImagePuller(client).PullAsync(reference, other.Store);

        Assert.Equal(pushed.ManifestDigest, pulled.ManifestDigest);
        Assert.Equal(["v1"], await client.ListTagsAsync(registry.Host, reference.Repository));
    }

    [Theory]
    [InlineData(RegistryAuthMode.Htpasswd)]
    [InlineData(RegistryAuthMode.Token)]
    public async Task A_wrong_password_is_an_auth_error_that_does_not_reveal_the_password(RegistryAuthMode mode)
    {
        await using var registry = await DockerRegistryProcess.StartAsync(mode);
        const string wrong = "not-the-Password-123";
        using var client = new RegistryClient(new RegistryClientOptions(), new StaticCredentialProvider(new RegistryCredential(DockerRegistryProcess.User, wrong)));

        var error = await Assert.ThrowsAsync<OciAuthException>(() => client.CheckAccessAsync(registry.Host));

        Assert.Contains("rejected the credentials", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anonymous_token_that_the_registry_refuses_says_no_credentials_were_sent_not_that_they_were_wrong()
    {
        // Public registries' token services hand anyone a token; for a private or missing repository it grants nothing, and
        // the registry answers 401 to it. Before, wasme said "rejected the credentials" although it had sent none.
        await using var registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Token);
        registry.TokenIssuer!.GrantsAnonymousTokens = true;
        var reference = ImageReference.Parse($"{registry.Host}/private/filter:v1");
        using var anonymous = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);

        var error = await Assert.ThrowsAsync<OciAuthException>(() => new ImagePuller(anonymous).FetchAsync(reference));

        Assert.DoesNotContain("rejected the credentials", error.Message, StringComparison.Ordinal);
        Assert.Contains("without credentials", error.Message, StringComparison.Ordinal);
        Assert.Contains($"wasme login {registry.Host}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_auth_asks_for_pull_scope_to_pull_and_push_scope_to_push()
    {
        await using var registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Token);
        using var store = new TestStore();
        var reference = ImageReference.Parse($"{registry.Host}/scoped/filter:v1");
        var stored = await store.Store.AddAsync(reference, TestWasmModule.Create(), Config);
        using var pusher = new RegistryClient(new RegistryClientOptions(), new StaticCredentialProvider(new RegistryCredential(DockerRegistryProcess.User, DockerRegistryProcess.Password)));
        await new ImagePusher(pusher).PushAsync(store.Store, stored, reference);
        var pushScopes = registry.TokenIssuer!.Requests.SelectMany(r => r.Scopes).Distinct().ToList();
        registry.TokenIssuer.Requests.Clear();

        using var puller = new RegistryClient(new RegistryClientOptions(), new StaticCredentialProvider(new RegistryCredential(DockerRegistryProcess.User, DockerRegistryProcess.Password)));
        await new ImagePuller(puller).FetchAsync(reference);
        var pullScopes = registry.TokenIssuer.Requests.SelectMany(r => r.Scopes).Distinct().ToList();

        Assert.Contains("repository:scoped/filter:pull,push", pushScopes);
        Assert.Equal(["repository:scoped/filter:pull"], pullScopes);
    }
}
