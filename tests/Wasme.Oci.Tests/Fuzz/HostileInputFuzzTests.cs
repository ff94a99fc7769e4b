using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Wasme.Oci.Errors;
using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;
using Xunit.Sdk;

namespace Wasme.Oci.Tests.Fuzz;

/// <summary>
/// Issue 15 point 5: generated hostile input for reference parsing, manifest and index parsing, compat
/// layers and the store's own index.json. The property: nothing escapes but a documented
/// <see cref="OciException"/> (each kind has its exit code); what is accepted is usable. The seed is
/// fixed so CI is deterministic; WASME_FUZZ_CASES raises the count (WASME_FUZZ_SEED changes the seed).
/// </summary>
public sealed class HostileInputFuzzTests
{
    private static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("WASME_FUZZ_CASES"), NumberStyles.None, CultureInfo.InvariantCulture, out var cases) ? cases : 3000;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("WASME_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var seed) ? seed : 15;
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["add_header"]);

    private static readonly string[] ValidReferences =
    [
        "example.com/team/filter:v1",
        "127.0.0.1:5000/a/b@sha256:" + new string('a', 64),
        "[::1]:5000/filter:latest",
        "localhost/x",
        "nginx",
        "registry.example.com:443/deep/path/name:tag_1.0-rc",
    ];

    [Fact]
    public void Reference_parsing_refuses_with_a_usage_error_or_gives_a_usable_reference()
    {
        var random = new Random(Seed);
        const string Alphabet = "abcz019AZ.:/@_-[]% \u00e9";
        for (var i = 0; i < Cases; i++)
        {
            var text = random.Next(3) == 0
                ? new string([.. Enumerable.Range(0, random.Next(40)).Select(_ => Alphabet[random.Next(Alphabet.Length)])])
                : MutateText(random, ValidReferences[random.Next(ValidReferences.Length)], Alphabet);
            Check(text, () =>
            {
                ImageReference reference;
                try
                {
                    reference = ImageReference.Parse(text);
                }
                catch (OciUsageException)
                {
                    return;
                }

                // Accepted means usable: it round-trips, and its registry makes a URL with a valid port.
                Assert.Equal(reference, ImageReference.Parse(reference.ToString()));
                var uri = new Uri($"https://{reference.Registry}/v2/");
                Assert.InRange(uri.Port, 1, 65535);
            });
        }
    }

    [Theory]
    [InlineData("127.0.0.1:65536/a:v1", "not between 1 and 65535")]
    [InlineData("127.0.0.1:99999/a:v1", "not between 1 and 65535")]
    [InlineData("127.0.0.1:0/a:v1", "not between 1 and 65535")]
    [InlineData("[::1::2::3]:5000/a:v1", "is not an IPv6 address")]
    [InlineData("[1.2.3.4]/a:v1", "is not an IPv6 address")]
    [InlineData("[:]/a", "is not an IPv6 address")]
    public void Registry_names_the_pattern_allows_but_no_connection_can_use_are_usage_errors(string text, string expected)
    {
        var error = Assert.Throws<OciUsageException>(() => ImageReference.Parse(text));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("null", "JSON 'null'")]
    [InlineData("[]", "not a valid manifest")]
    [InlineData("42", "not a valid manifest")]
    [InlineData("""{"schemaVersion":2,"config":null,"layers":[]}""", "'config' is null")]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":null}""", "'layers' is null")]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[null]}""", "'layers[0]' is null")]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"a","digest":"md5:00","size":1},"layers":[]}""", "not a sha256 digest")]
    public void Hostile_manifests_are_refused_with_the_reason(string json, string expected)
    {
        Assert.False(OciDocuments.TryParseManifest(Encoding.UTF8.GetBytes(json), out _, out var problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_manifests_and_indexes_parse_or_are_refused_and_what_parses_is_safe_to_read()
    {
        var random = new Random(Seed + 1);
        var manifest = Encoding.UTF8.GetString(ImagePacker.Pack(TestWasmModule.Create(), Config, WasmImageFormat.Compat).ManifestBytes.Span);
        var index = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[{"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"sha256:{{{new string('b', 64)}}}","size":10,"platform":{"os":"wasip1","architecture":"wasm"},"annotations":{"org.opencontainers.image.ref.name":"example.com/a:v1"}}]}""";
        for (var i = 0; i < Cases; i++)
        {
            var json = MutateJson(random, i % 2 == 0 ? manifest : index);
            Check(json, () =>
            {
                var bytes = Encoding.UTF8.GetBytes(json);
                if (OciDocuments.TryParseManifest(bytes, out var parsed, out _))
                {
                    ExpectOnlyOciErrors(() =>
                    {
                        var layout = ImageReader.Identify(parsed, parsed.MediaType);
                        _ = ImageReader.ModuleLayer(parsed, layout).GetDigest();
                        _ = ImageReader.ReadRuntimeConfig(parsed, null, null);
                    });
                }

                if (OciDocuments.TryParseIndex(bytes, out var parsedIndex, out _))
                {
                    Assert.All(parsedIndex.Manifests, m => m.GetDigest());
                }
            });
        }
    }

    [Fact]
    public void Generated_compat_layers_give_the_module_or_an_integrity_or_usage_error()
    {
        var random = new Random(Seed + 2);
        var module = TestWasmModule.Create(3000);
        var tar = Tar(module);
        for (var i = 0; i < Cases / 3; i++)
        {
            var damaged = tar.ToArray();
            switch (random.Next(3))
            {
                case 0:
                    damaged = damaged[..random.Next(damaged.Length)];
                    break;
                case 1:
                    damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                default:
                    // Digits in the size field of the header: a tar longer or shorter than it says.
                    damaged[124 + random.Next(11)] = (byte)('0' + random.Next(8));
                    break;
            }

            Check($"case {i}", () => ExpectOnlyOciErrors(() =>
            {
                var content = ImageReader.ReadModule(ImageLayout.CompatOci, Gzip(damaged), 64 * 1024);
                Assert.True(content.Module.Length > 0);
            }));
        }
    }

    [Fact]
    public void A_compat_tar_shorter_than_its_header_says_is_an_integrity_error()
    {
        var tar = Tar(TestWasmModule.Create(3000));
        var error = Assert.Throws<OciIntegrityException>(() => ImageReader.ReadModule(ImageLayout.CompatOci, Gzip(tar[..2000]), 64 * 1024));
        Assert.Contains("shorter than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_store_command_on_a_generated_index_json_succeeds_or_fails_with_a_documented_error()
    {
        var random = new Random(Seed + 3);
        using var store = new TestStore();
        var v1 = ImageReference.Parse("example.com/team/filter:v1");
        await store.Store.AddAsync(v1, TestWasmModule.Create(seed: 1), Config);
        await store.Store.AddAsync(ImageReference.Parse("example.com/team/compat:v1"), TestWasmModule.Create(seed: 2), Config, WasmImageFormat.Compat);
        var indexPath = Path.Combine(store.Root, "index.json");
        var original = await File.ReadAllTextAsync(indexPath);
        for (var i = 0; i < Cases / 20; i++)
        {
            var json = MutateJson(random, original);
            await File.WriteAllTextAsync(indexPath, json);
            await CheckAsync(json, async () =>
            {
                var fresh = new LocalImageStore(store.Root);
                await ExpectOnlyOciErrorsAsync(() => fresh.ListAsync());
                await ExpectOnlyOciErrorsAsync(() => fresh.FindAsync(v1));
                await ExpectOnlyOciErrorsAsync(() => fresh.TagAsync(v1, ImageReference.Parse("example.com/team/filter:v2")));
                await ExpectOnlyOciErrorsAsync(() => fresh.RemoveAsync(ImageReference.Parse("example.com/team/compat:v1")));
                await ExpectOnlyOciErrorsAsync(() => fresh.AddAsync(ImageReference.Parse("example.com/team/new:v1"), TestWasmModule.Create(seed: 3), Config));
            });
        }
    }

    [Theory]
    [InlineData("""{"schemaVersion":2,"manifests":null}""", "'manifests' is null")]
    [InlineData("null", "JSON 'null'")]
    [InlineData("""{"schemaVersion":2,"manifests":[null]}""", "'manifests[0]' is null")]
    [InlineData("[1,2]", "not a valid index")]
    public async Task A_damaged_index_json_is_a_damaged_store_error_naming_the_file_and_the_repair(string json, string expected)
    {
        using var store = new TestStore();
        await File.WriteAllTextAsync(Path.Combine(store.Root, "index.json"), json);

        var error = await Assert.ThrowsAsync<OciDamagedStoreException>(() => store.Store.ListAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(store.Root, "index.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains("move it aside", error.Message, StringComparison.Ordinal);
    }

    private static void Check(string input, Action body)
    {
        try
        {
            body();
        }
        catch (Exception ex) when (ex is not XunitException)
        {
            throw new XunitException($"Input {Quote(input)} escaped as {ex}");
        }
        catch (XunitException ex)
        {
            throw new XunitException($"Input {Quote(input)}: {ex.Message}");
        }
    }

    private static async Task CheckAsync(string input, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception ex) when (ex is not XunitException)
        {
            throw new XunitException($"Input {Quote(input)} escaped as {ex}");
        }
        catch (XunitException ex)
        {
            throw new XunitException($"Input {Quote(input)}: {ex.Message}");
        }
    }

    private static string Quote(string input) => input.Length > 400 ? $"'{input[..400]}...'" : $"'{input}'";

    private static void ExpectOnlyOciErrors(Action body)
    {
        try
        {
            body();
        }
        catch (OciException)
        {
        }
    }

    private static async Task ExpectOnlyOciErrorsAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (OciException)
        {
        }
    }

    private static string MutateText(Random random, string text, string alphabet)
    {
        var builder = new StringBuilder(text);
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = random.Next(builder.Length + 1);
            switch (random.Next(4))
            {
                case 0 when builder.Length > 0 && at < builder.Length:
                    builder.Remove(at, 1);
                    break;
                case 1:
                    builder.Insert(at, alphabet[random.Next(alphabet.Length)]);
                    break;
                case 2:
                    builder.Insert(at, random.Next(3) switch { 0 => ":99999", 1 => ":0", _ => "[" });
                    break;
                default:
                    if (at < builder.Length)
                    {
                        builder[at] = alphabet[random.Next(alphabet.Length)];
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Replaces or removes one to three nodes of a JSON document with hostile values.</summary>
    private static string MutateJson(Random random, string json)
    {
        JsonNode? root = JsonNode.Parse(json);
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var target = nodes.Count == 0 ? null : nodes[random.Next(nodes.Count)];
            var replacement = HostileValue(random);
            if (target is null || target.Parent is null)
            {
                root = replacement;
                continue;
            }

            switch (target.Parent)
            {
                case JsonObject parent:
                    var name = target.GetPropertyName();
                    if (random.Next(4) == 0)
                    {
                        parent.Remove(name);
                    }
                    else
                    {
                        parent[name] = replacement;
                    }

                    break;
                case JsonArray array:
                    array[target.GetElementIndex()] = replacement;
                    break;
            }
        }

        return root?.ToJsonString() ?? "null";
    }

    private static void Collect(JsonNode? node, List<JsonNode> nodes)
    {
        if (node is null)
        {
            return;
        }

        nodes.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    Collect(child, nodes);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Collect(child, nodes);
                }

                break;
        }
    }

    private static JsonNode? HostileValue(Random random) => random.Next(12) switch
    {
        0 => null,
        1 => new JsonArray(),
        2 => new JsonObject(),
        3 => JsonValue.Create(0),
        4 => JsonValue.Create(-1),
        5 => JsonValue.Create(1e308),
        6 => JsonValue.Create("sha256:" + new string('z', 64)),
        7 => JsonValue.Create(true),
        8 => JsonValue.Create(long.MaxValue),
        9 => new JsonArray(null, JsonValue.Create(1)),
        10 => JsonValue.Create("../../etc/passwd"),
        _ => JsonValue.Create(string.Empty),
    };

    private static byte[] Tar(byte[] module)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
        {
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, ImagePacker.CompatModuleFile) { DataStream = new MemoryStream(module) });
        }

        return buffer.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return buffer.ToArray();
    }
}
