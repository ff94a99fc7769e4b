using System.Text;
using Wasme.Oci.Errors;
using Wasme.Oci.Registry.Auth;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DockerConfigCredentialTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wasme-auth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Reads_auths_in_every_key_form_docker_writes()
    {
        var file = Path.Combine(_dir, "config.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:pw:with:colons"));
        await File.WriteAllTextAsync(file, """{"auths":{"https://index.docker.io/v1/":{"auth":"AUTH"},"http://reg.example.com:5000":{"username":"u","password":"p"}}}""".Replace("AUTH", auth, StringComparison.Ordinal));
        var provider = DockerConfigCredentialProvider.FromFiles([file]);

        var hub = await provider.GetAsync("docker.io", CancellationToken.None);
        var other = await provider.GetAsync("reg.example.com:5000", CancellationToken.None);
        var none = await provider.GetAsync("elsewhere.example.com", CancellationToken.None);

        Assert.Equal(("bob", "pw:with:colons"), (hub!.Username, hub.Password));
        Assert.Equal(("u", "p"), (other!.Username, other.Password));
        Assert.Null(none);
    }

    [Fact]
    public async Task Credential_helpers_are_asked_for_their_registry()
    {
        var file = Path.Combine(_dir, "config.json");
        await File.WriteAllTextAsync(file, """{"credHelpers":{"reg.example.com":"fake"}}""");
        var helper = Path.Combine(_dir, "docker-credential-fake");
        await File.WriteAllTextAsync(helper, "#!/bin/sh\nread server\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"helper-user\",\"Secret\":\"helper-secret\"}' \"$server\"\n");
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = _dir + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

        var credential = await DockerConfigCredentialProvider.FromFiles([file], new ProcessCredentialHelperRunner(name => name == "PATH" ? path : null)).GetAsync("reg.example.com", CancellationToken.None);

        Assert.Equal(("helper-user", "helper-secret"), (credential!.Username, credential.Password));
    }

    [Fact]
    public async Task A_kubernetes_pull_secret_gives_credentials_but_never_runs_helpers()
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("k8s:secret"));
        var json = """{"auths":{"reg.example.com":{"auth":"AUTH"}},"credsStore":"evil"}""".Replace("AUTH", auth, StringComparison.Ordinal);

        var provider = DockerConfigCredentialProvider.FromJson(Encoding.UTF8.GetBytes(json));

        Assert.Equal("k8s", (await provider.GetAsync("reg.example.com", CancellationToken.None))!.Username);
        Assert.Null(await provider.GetAsync("other.example.com", CancellationToken.None));
    }

    [Fact]
    public async Task A_docker_config_that_cannot_be_written_is_an_error_naming_it_and_leaves_no_trace()
    {
        // DOCKER_CONFIG naming a file, and config.json being a directory: what a careless setup gives, even to root.
        var notADirectory = Path.Combine(_dir, "docker-config-file");
        await File.WriteAllTextAsync(notADirectory, "x");
        var directoryInPlace = Path.Combine(_dir, "home", "config.json");
        Directory.CreateDirectory(directoryInPlace);

        foreach (var path in new[] { Path.Combine(notADirectory, "config.json"), directoryInPlace })
        {
            var error = await Assert.ThrowsAsync<Wasme.Oci.Errors.OciFileAccessException>(() => new CredentialStore(path).SaveAsync("reg.example.com", new RegistryCredential("me", "pw")));

            Assert.Contains($"Cannot write the Docker config {path}", error.Message, StringComparison.Ordinal);
            Assert.Contains("DOCKER_CONFIG", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal("x", await File.ReadAllTextAsync(notADirectory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "home"), "*.tmp-*"));
    }

    [Fact]
    public async Task Login_store_writes_an_owner_only_file_keeps_other_keys_and_logout_removes_the_entry()
    {
        var file = Path.Combine(_dir, "credentials.json");
        await File.WriteAllTextAsync(file, """{"auths":{"keep.example.com":{"auth":"a2VlcDprZWVw"}},"psFormat":"table"}""");
        var store = new CredentialStore(file);

        await store.SaveAsync("reg.example.com", new RegistryCredential("me", "pw"));
        var saved = await DockerConfigCredentialProvider.FromFiles([file]).GetAsync("reg.example.com", CancellationToken.None);
        var removed = await store.RemoveAsync("reg.example.com");
        var text = await File.ReadAllTextAsync(file);

        Assert.Equal("pw", saved!.Password);
        Assert.True(removed);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Contains("keep.example.com", text, StringComparison.Ordinal);
        Assert.Contains("psFormat", text, StringComparison.Ordinal);
        Assert.DoesNotContain("reg.example.com", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_login_killed_while_writing_leaves_no_copy_of_the_secret_past_the_next_logout_or_login()
    {
        var file = Path.Combine(_dir, "config.json");
        // What a login killed between writing its temp file and renaming it leaves: a whole copy of the config, secret included.
        const string Copy = """{"auths":{"reg.example.com":{"auth":"bWU6c2VjcmV0"}}}""";
        var first = Path.Combine(_dir, $".config.json.tmp-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(first, Copy);
        var unrelated = Path.Combine(_dir, $".other.json.tmp-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(unrelated, "{}");

        // The killed login was the first: there is no config.json, and logout has nothing to remove but the copy.
        Assert.False(await new CredentialStore(file).RemoveAsync("reg.example.com"));
        Assert.False(File.Exists(first), "logout left the killed login's copy of the secret");

        var second = Path.Combine(_dir, $".config.json.tmp-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(second, Copy);
        await new CredentialStore(file).SaveAsync("other.example.com", new RegistryCredential("me", "pw"));
        Assert.False(File.Exists(second), "login left the killed login's copy of the secret");
        Assert.True(File.Exists(unrelated));
        Assert.DoesNotContain("reg.example.com", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logins_and_logouts_running_at_once_lose_no_other_registrys_entry()
    {
        // CI scripts log in to several registries in parallel. Each login reads the file, adds its entry and writes it
        // back; a credential helper (here one that takes 300 ms, as a keychain prompt or a cloud helper does) keeps the
        // file read for long, so without a lock its write drops every entry saved in the meantime.
        var file = Path.Combine(_dir, "config.json");
        var slow = Enumerable.Range(0, 4).Select(i => $"slow{i}.example.com").ToArray();
        var plain = Enumerable.Range(0, 12).Select(i => $"reg{i}.example.com").ToArray();
        var helpers = string.Join(',', slow.Select(registry => $"\"{registry}\":\"slow\""));
        await File.WriteAllTextAsync(file, "{\"credHelpers\":{" + helpers + "}}");
        var helper = new SlowCredentialHelper(TimeSpan.FromMilliseconds(300));
        await new CredentialStore(file).SaveAsync("leaving.example.com", new RegistryCredential("old", "pw"));

        await Task.WhenAll(slow.Concat(plain)
            .Select(registry => (Task)Task.Run(() => new CredentialStore(file, helper).SaveAsync(registry, new RegistryCredential("me", registry))))
            .Append(Task.Run(() => new CredentialStore(file, helper).RemoveAsync("leaving.example.com"))));

        var provider = DockerConfigCredentialProvider.FromFiles([file], helper);
        foreach (var registry in slow.Concat(plain))
        {
            Assert.Equal(registry, (await provider.GetAsync(registry, CancellationToken.None))?.Password);
        }

        Assert.Null(await provider.GetAsync("leaving.example.com", CancellationToken.None));
    }

    /// <summary>A credential helper that takes its time to store, as helpers that prompt or call a cloud API do.</summary>
    private sealed class SlowCredentialHelper(TimeSpan delay) : ICredentialHelperRunner
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RegistryCredential> _secrets = new();

        public Task<RegistryCredential?> GetAsync(string helper, string serverUrl, CancellationToken cancellationToken) =>
            Task.FromResult(_secrets.TryGetValue(serverUrl, out var credential) ? credential : null);

        public async Task StoreAsync(string helper, string serverUrl, RegistryCredential credential, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken);
            _secrets[serverUrl] = credential;
        }

        public Task<bool> EraseAsync(string helper, string serverUrl, CancellationToken cancellationToken) =>
            Task.FromResult(_secrets.TryRemove(serverUrl, out _));
    }

    [Fact]
    public async Task Login_through_a_helper_stores_an_identity_token_as_docker_does_and_logout_erases_it()
    {
        using var helper = new FakeCredentialHelper("fake");
        var file = Path.Combine(_dir, "config.json");
        await File.WriteAllTextAsync(file, """{"credsStore":"fake"}""");
        var runner = new ProcessCredentialHelperRunner(name => name == "PATH" ? helper.PathWithHelper : null);
        var store = new CredentialStore(file, runner);

        var savedTo = await store.SaveAsync("docker.io", new RegistryCredential("me", string.Empty) { IdentityToken = "refresh-token" });
        var read = await DockerConfigCredentialProvider.FromFiles([file], runner).GetAsync("docker.io", CancellationToken.None);

        Assert.Equal("docker-credential-fake", savedTo);
        Assert.Contains("\"ServerURL\": \"https://index.docker.io/v1/\", \"Username\": \"<token>\"", helper.Secrets, StringComparison.Ordinal);
        Assert.Equal("refresh-token", read!.IdentityToken);
        Assert.True(await store.RemoveAsync("docker.io"));
        Assert.False(await store.RemoveAsync("docker.io"));
        Assert.Null(await DockerConfigCredentialProvider.FromFiles([file], runner).GetAsync("docker.io", CancellationToken.None));
    }

    [Fact]
    public async Task Login_writes_through_a_symbolic_link_instead_of_replacing_it()
    {
        var target = Path.Combine(_dir, "dotfiles-config.json");
        await File.WriteAllTextAsync(target, "{}");
        var link = Path.Combine(_dir, "config.json");
        File.CreateSymbolicLink(link, target);

        await new CredentialStore(link).SaveAsync("reg.example.com", new RegistryCredential("me", "pw"));

        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Contains("reg.example.com", await File.ReadAllTextAsync(target), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_docker_config_that_never_ends_is_refused_at_the_bound()
    {
        var link = Path.Combine(_dir, "config.json");
        File.CreateSymbolicLink(link, "/dev/zero");

        var error = await Assert.ThrowsAsync<OciUsageException>(async () => await DockerConfigCredentialProvider.FromFiles([link]).GetAsync("reg.example.com", CancellationToken.None));

        Assert.StartsWith($"{link} is larger than 1 MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Waiting_for_a_containers_auth_file_that_is_a_fifo_ends_when_cancelled()
    {
        // REGISTRY_AUTH_FILE=<(...) whose writer never comes: the open blocks; Ctrl-C must still end the command.
        var fifo = Path.Combine(_dir, "auth.json");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync(CancellationToken.None);
        }

        using var cancellation = new CancellationTokenSource();
        var read = Task.Run(async () => await DockerConfigCredentialProvider.FromFiles([fifo]).GetAsync("reg.example.com", cancellation.Token));
        await cancellation.CancelAsync();

        // Bounded only so that a read that ignores the cancellation fails the test instead of hanging it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromMinutes(1)));
        await using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
    }

    [Fact]
    public async Task A_credential_helper_that_never_stops_printing_is_cut_off_at_the_bound()
    {
        var file = Path.Combine(_dir, "config.json");
        await File.WriteAllTextAsync(file, """{"credHelpers":{"reg.example.com":"flood"}}""");
        var helper = Path.Combine(_dir, "docker-credential-flood");
        await File.WriteAllTextAsync(helper, "#!/bin/sh\nexec yes '{\"Username\":\"u\",\"Secret\":\"s\"}'\n");
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = _dir + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

        var error = await Assert.ThrowsAsync<OciAuthException>(async () => await DockerConfigCredentialProvider.FromFiles([file], new ProcessCredentialHelperRunner(name => name == "PATH" ? path : null)).GetAsync("reg.example.com", CancellationToken.None));

        Assert.Contains("docker-credential-flood get printed more than 1 MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_credential_never_prints_its_password() =>
        Assert.DoesNotContain("hunter2", new RegistryCredential("u", "hunter2").ToString(), StringComparison.Ordinal);
}
