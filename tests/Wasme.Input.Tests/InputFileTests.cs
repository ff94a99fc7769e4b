using System.Diagnostics;
using System.Text;

namespace Wasme.Input.Tests;

public sealed class InputFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wasme-input-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task A_device_that_never_ends_is_refused_at_the_bound()
    {
        var error = await Assert.ThrowsAsync<InputFileException>(() => InputFile.ReadAsync("/dev/zero", 1024 * 1024, CancellationToken.None));

        Assert.Equal("/dev/zero is larger than 1 MiB; pass the file itself, not a device or an archive", error.Message);
    }

    [Fact]
    public async Task A_directory_is_said_to_be_one()
    {
        var error = await Assert.ThrowsAsync<InputFileException>(() => InputFile.ReadTextAsync(_directory.FullName, 1024, CancellationToken.None));

        Assert.Equal("is a directory; pass the file itself", error.Problem);
    }

    [Fact]
    public async Task Text_is_decoded_as_read_all_text_does_up_to_the_bound()
    {
        var path = Path.Combine(_directory.FullName, "bom.yaml");
        await File.WriteAllBytesAsync(path, [0xEF, 0xBB, 0xBF, (byte)'a', (byte)':', (byte)' ', (byte)'1'], CancellationToken.None);

        Assert.Equal("a: 1", await InputFile.ReadTextAsync(path, 7, CancellationToken.None));
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_are_refused_with_their_line_instead_of_replaced()
    {
        // File.ReadAllText turned 0xFF into U+FFFD unseen; `wasme test --update` then wrote that back over the file.
        var path = Path.Combine(_directory.FullName, "latin1.yaml");
        await File.WriteAllBytesAsync(path, [.. "tests:\n  - name: caf"u8, 0xE9, (byte)'\n'], CancellationToken.None);

        var error = await Assert.ThrowsAsync<InputFileException>(() => InputFile.ReadTextAsync(path, 1024, CancellationToken.None));

        Assert.Equal("is not UTF-8 text: line 2 holds the byte 0xE9, which starts no UTF-8 character; save the file as UTF-8", error.Problem);
    }

    [Fact]
    public async Task Utf16_with_its_byte_order_mark_reads_as_read_all_text_does()
    {
        var path = Path.Combine(_directory.FullName, "utf16.yaml");
        await File.WriteAllTextAsync(path, "name: café", Encoding.Unicode, CancellationToken.None);

        Assert.Equal("name: café", await InputFile.ReadTextAsync(path, 1024, CancellationToken.None));
    }

    [Fact]
    public async Task Waiting_for_a_fifo_with_no_writer_ends_when_cancelled()
    {
        // The open of a FIFO blocks until a writer comes and cannot itself be cancelled; Ctrl-C must still end the wait.
        var fifo = Path.Combine(_directory.FullName, "fifo");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync(CancellationToken.None);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        using var cancellation = new CancellationTokenSource();
        var read = InputFile.ReadAsync(fifo, 1024, cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        // Release the abandoned open: a writer lets it complete.
        await using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
    }
}
