namespace Wasme.Build;

/// <summary>Limits for builds and imports.</summary>
public sealed record FilterBuildOptions
{
    public const long DefaultMaxModuleBytes = Oci.RegistryLimits.DefaultMaxModuleSize;

    /// <summary>Largest module accepted, checked before the file is read.</summary>
    public long MaxModuleBytes { get; init; } = DefaultMaxModuleBytes;

    public void Validate()
    {
        if (MaxModuleBytes is <= 0 or > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxModuleBytes), MaxModuleBytes, "must be between 1 byte and 2 GiB");
        }
    }
}
