namespace Wasme.FilterTesting.Reporting;

/// <summary>
/// <c>--update</c> found the test file changed since it was read (an editor saved it, another run updated it
/// differently): what it would write was built from the old text, so it wrote nothing.
/// </summary>
public sealed class FilterTestFileChangedException(string path)
    : IOException($"{path} changed while its cases ran; --update wrote nothing to it, so the change stays: run wasme test --update again")
{
    public string Path { get; } = path;
}
