using Wasme.Build.Templates;

namespace Wasme.Build.Tests.Templates;

public sealed class TemplateWriterTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("wasme-template-tests-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task Force_refuses_a_template_directory_that_links_outside_the_project_and_writes_nothing()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_temp.FullName, "outside")).FullName;
        var project = Directory.CreateDirectory(Path.Combine(_temp.FullName, "project")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(project, "src"), outside);

        var error = await Assert.ThrowsAsync<TemplateTargetNotEmptyException>(
            () => TemplateWriter.WriteAsync(FilterTemplates.For(FilterLanguage.Rust), project, overwrite: true, CancellationToken.None));

        Assert.Contains($"{Path.Combine(project, "src")} is a symbolic link (to {outside})", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal(["src"], Directory.EnumerateFileSystemEntries(project).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_target_under_a_file_is_refused_with_the_reason_not_reported_as_a_bug()
    {
        var file = Path.Combine(_temp.FullName, "notes.txt");
        await File.WriteAllTextAsync(file, "");

        var error = await Assert.ThrowsAsync<TemplateTargetNotEmptyException>(
            () => TemplateWriter.WriteAsync(FilterTemplates.For(FilterLanguage.Rust), Path.Combine(file, "project"), overwrite: false, CancellationToken.None));

        Assert.Contains($"cannot write the project to {Path.Combine(file, "project")}", error.Message, StringComparison.Ordinal);
        Assert.Contains("choose a directory you can write to", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_directory_given_with_a_trailing_separator_gets_the_project_and_nothing_else(bool exists)
    {
        // Shell completion writes `my-filter/`; the project must land in my-filter, as for `my-filter`.
        var project = Path.Combine(_temp.FullName, "my-filter");
        if (exists)
        {
            Directory.CreateDirectory(project);
        }

        var written = await TemplateWriter.WriteAsync(
            FilterTemplates.For(FilterLanguage.AssemblyScript), project + Path.DirectorySeparatorChar, overwrite: false, CancellationToken.None);

        Assert.All(written, file => Assert.True(File.Exists(Path.Combine(project, file)), file));
        Assert.Equal(
            written.Select(file => file.Split('/')[0]).Distinct().Order(StringComparer.Ordinal),
            Directory.EnumerateFileSystemEntries(project).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["my-filter"], Directory.EnumerateFileSystemEntries(_temp.FullName).Select(Path.GetFileName));
    }
}
