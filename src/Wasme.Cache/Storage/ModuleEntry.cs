namespace Wasme.Cache.Storage;

/// <summary>A module held in the cache directory.</summary>
public sealed record ModuleEntry(ModuleDigest Digest, string Path, long Length);
