using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Cache.Tests.Support;

/// <summary>A module pushed to a real registry with the Wasme.Oci client, and what the operator would record about it.</summary>
internal sealed record PushedModule(byte[] Bytes, ModuleDigest Module, string PinnedImage, string ModuleBlobPath)
{
    public static async Task<PushedModule> PushAsync(string registryHost, string repository, int size, byte seed, WasmImageFormat format = WasmImageFormat.Wasme)
    {
        var bytes = TestWasmModule.Create(size, seed);
        var packed = ImagePacker.Pack(bytes, RuntimeConfig.Create(["0_2_1"], ["add_header"]), format);
        using var client = new RegistryClient(new RegistryClientOptions { PlainHttp = true }, AnonymousCredentialProvider.Instance);
        var reference = ImageReference.Parse($"{registryHost}/{repository}:v1");
        await new ImagePusher(client).PushAsync(packed, reference);
        var module = TestModules.DigestOf(bytes);
        return new PushedModule(bytes, module, $"{registryHost}/{repository}@{packed.ManifestDigest}", $"/v2/{repository}/blobs/sha256:{module.Hex}");
    }

    public Wasme.Cache.Fetching.WantedModule Wanted => new(Module, PinnedImage);
}
