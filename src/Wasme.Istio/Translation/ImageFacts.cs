namespace Wasme.Istio.Translation;

/// <summary>
/// What the translation needs to know about the image, obtained by the caller (operator, CLI) from the registry.
/// The translation itself never does I/O.
/// </summary>
/// <param name="Repository">Registry and repository without tag or digest, e.g. <c>webassemblyhub.io/ceposta/demo-add-header</c>.</param>
/// <param name="ManifestDigest">Digest of the image manifest, <c>sha256:&lt;hex&gt;</c>.</param>
/// <param name="ModuleSha256">Lower-case hex sha256 of the Wasm module bytes.</param>
/// <param name="AbiVersions">ABI versions the image declares (e.g. <c>v0-097b7f2e...</c>, <c>0.2.1</c>); may be empty.</param>
/// <param name="RootIds">Root ids the image declares; the first is the default root id.</param>
public sealed record ImageFacts(
    string Repository,
    string ManifestDigest,
    string ModuleSha256,
    IReadOnlyList<string> AbiVersions,
    IReadOnlyList<string> RootIds);
