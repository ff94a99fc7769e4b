using System.Text.Json;
using Wasme.Cli.Tests.Support;
using Wasme.Oci;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Store;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Images;

/// <summary>
/// Issue 15 point 3: pulls, tags and rmis on one store at once, from separate wasme processes and from
/// separate store instances, against a real docker-registry. No image may be lost, and what remains
/// must read back with wasme and with skopeo.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StoreConcurrencyTests
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["add_header"]);

    [Fact]
    public async Task Concurrent_wasme_processes_pulling_tagging_and_removing_lose_no_image()
    {
        await using var registry = await DockerRegistryProcess.StartAsync();
        using var cli = new ImageCli();
        var pulls = await PushImagesAsync(cli, registry, "proc", count: 5);
        var store = Path.Combine(cli.Home, "shared-store");
        var local = await AddLocalImagesAsync(store, "proc", count: 8);
        var environment = new Dictionary<string, string> { ["HOME"] = cli.Home, ["WASME_STORE"] = store, ["DOCKER_CONFIG"] = Path.Combine(cli.Home, ".docker") };

        // Half the local images are removed (each rmi collects garbage), a quarter tagged, while the pulls run.
        var removed = local.Take(4).ToList();
        var tagged = local.Skip(4).Take(2).Select(source => (Source: source, Target: source.Replace("/local-", "/tagged-", StringComparison.Ordinal))).ToList();
        var commands = pulls.Select(p => new[] { "pull", "-q", p })
            .Concat(removed.Select(r => new[] { "rmi", r }))
            .Concat(tagged.Select(t => new[] { "tag", t.Source, t.Target }))
            .ToList();
        var results = await Task.WhenAll(commands.Select(args => WasmeProcess.RunAsync(environment, args)));

        for (var i = 0; i < commands.Count; i++)
        {
            Assert.True(results[i].ExitCode == 0, $"wasme {string.Join(' ', commands[i])} exited {results[i].ExitCode}: {results[i].Error}");
        }

        var expected = pulls.Concat(local.Except(removed)).Concat(tagged.Select(t => t.Target)).ToList();
        await AssertStoreHoldsExactlyAsync(store, environment, expected);
    }

    [Fact]
    public async Task Many_rounds_of_concurrent_store_instances_lose_no_image()
    {
        await using var registry = await DockerRegistryProcess.StartAsync();
        using var cli = new ImageCli();
        const int Rounds = 12;
        var pulls = await PushImagesAsync(cli, registry, "inst", count: Rounds * 2);
        var store = Path.Combine(cli.Home, "shared-store");
        var local = await AddLocalImagesAsync(store, "inst", count: Rounds * 3);
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);

        var removed = new List<string>();
        var tagged = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            // Every operation has its own store instance, as separate processes would; only the lock file is shared.
            var pullA = ImageReference.Parse(pulls[2 * round]);
            var pullB = ImageReference.Parse(pulls[(2 * round) + 1]);
            var remove = ImageReference.Parse(local[3 * round]);
            var tagSource = ImageReference.Parse(local[(3 * round) + 1]);
            var tagTarget = ImageReference.Parse(local[(3 * round) + 1].Replace("/local-", "/tagged-", StringComparison.Ordinal));
            await Task.WhenAll(
                Task.Run(() => new ImagePuller(client).PullAsync(pullA, new LocalImageStore(store))),
                Task.Run(() => new LocalImageStore(store).RemoveAsync(remove)),
                Task.Run(() => new ImagePuller(client).PullAsync(pullB, new LocalImageStore(store))),
                Task.Run(() => new LocalImageStore(store).TagAsync(tagSource, tagTarget)));
            removed.Add(remove.ToString());
            tagged.Add(tagTarget.ToString());
        }

        var environment = new Dictionary<string, string> { ["HOME"] = cli.Home, ["WASME_STORE"] = store };
        await AssertStoreHoldsExactlyAsync(store, environment, [.. pulls, .. local.Except(removed), .. tagged]);
    }

    private static async Task<List<string>> PushImagesAsync(ImageCli cli, DockerRegistryProcess registry, string prefix, int count)
    {
        var references = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var reference = $"{registry.Host}/{prefix}/pulled-{i}:v1";
            await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse(reference), TestWasmModule.Create(3000 + i, seed: (byte)(100 + i)), Config);
            Assert.Equal(ExitCodes.Success, await cli.RunAsync("push", "-q", reference));
            references.Add(reference);
        }

        return references;
    }

    private static async Task<List<string>> AddLocalImagesAsync(string store, string prefix, int count)
    {
        var references = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var reference = $"example.com/{prefix}/local-{i}:v1";
            await new LocalImageStore(store).AddAsync(ImageReference.Parse(reference), TestWasmModule.Create(2000 + i, seed: (byte)i), Config);
            references.Add(reference);
        }

        return references;
    }

    /// <summary>wasme lists exactly the expected images, and wasme and skopeo read each one whole.</summary>
    private static async Task AssertStoreHoldsExactlyAsync(string store, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> expected)
    {
        var list = await WasmeProcess.RunAsync(environment, "list", "-o", "json");
        Assert.True(list.ExitCode == 0, $"wasme list exited {list.ExitCode}: {list.Error}");
        using var listed = JsonDocument.Parse(list.Output);
        var names = listed.RootElement.EnumerateArray().Select(i => $"{i.GetProperty("name").GetString()}:{i.GetProperty("tag").GetString()}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), names);

        var wasme = new LocalImageStore(store);
        foreach (var reference in expected)
        {
            var image = await wasme.GetAsync(ImageReference.Parse(reference));
            Assert.Equal(image.ModuleSize, (await wasme.ReadModuleAsync(image)).Length);
            var raw = await ExternalTool.RunCheckedAsync("skopeo", "inspect", "--raw", $"oci:{store}:{reference}");
            Assert.Equal(image.ManifestDigest, Digest.Compute(System.Text.Encoding.UTF8.GetBytes(raw)));
            var copy = Path.Combine(Path.GetDirectoryName(store)!, "skopeo-copy");
            await ExternalTool.RunCheckedAsync("skopeo", "copy", "--quiet", $"oci:{store}:{reference}", $"oci:{copy}:check");
            Directory.Delete(copy, recursive: true);
        }

        Assert.Empty(Directory.EnumerateFiles(store, ".tmp-*", SearchOption.AllDirectories));
    }
}
