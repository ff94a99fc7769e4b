namespace Wasme.Cache.Fetching;

/// <summary>
/// Where modules come from: pulls the image by digest, verifies its manifest, and streams the module
/// bytes into <c>destination</c>. The caller hashes what arrives and checks it against
/// <see cref="WantedModule.Module"/>, so an implementation cannot store a wrong module by mistake.
/// </summary>
public interface IModuleSource
{
    Task FetchAsync(WantedModule wanted, Stream destination, CancellationToken cancellationToken);
}
