using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Wasme.Oci.Formats;
using Wasme.Oci.References;

namespace Wasme.Testing.Registry;

/// <summary>
/// A raw HTTP/1.1 server on 127.0.0.1 that serves an image's manifest and config but, for the module
/// layer (the last layer), announces the full length, sends half and closes the connection cleanly
/// (FIN, not RST), so the client sees the headers and then a body that ends early: a connection
/// broken in the middle of a download.
/// </summary>
public sealed class TruncatingRegistry : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly PackedImage _image;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _moduleRequests;

    private TruncatingRegistry(TcpListener listener, PackedImage image)
    {
        _listener = listener;
        _image = image;
        _accepting = AcceptAsync();
    }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>How many times the module layer was asked for.</summary>
    public int ModuleRequests => Volatile.Read(ref _moduleRequests);

    public static TruncatingRegistry Start(PackedImage image)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new TruncatingRegistry(listener, image);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                var path = await ReadRequestPathAsync(socket);
                byte[] body;
                int sent;
                string contentType;
                if (path.Contains("/manifests/", StringComparison.Ordinal))
                {
                    body = _image.ManifestBytes.ToArray();
                    sent = body.Length;
                    contentType = _image.ManifestDescriptor.MediaType;
                }
                else if (Digest.TryParse(path[(path.LastIndexOf('/') + 1)..], out var digest) && _image.Blobs.TryGetValue(digest, out var blob))
                {
                    body = blob.ToArray();
                    sent = body.Length;
                    if (digest == _image.Manifest.Layers[^1].GetDigest())
                    {
                        Interlocked.Increment(ref _moduleRequests);
                        sent = body.Length / 2;
                    }

                    contentType = "application/octet-stream";
                }
                else
                {
                    body = [];
                    sent = 0;
                    contentType = "text/plain";
                }

                var status = body.Length == 0 ? "404 Not Found" : "200 OK";
                var head = $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
                await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None);
                await socket.SendAsync(body.AsMemory(0, sent), SocketFlags.None);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
            }
        }
    }

    private static async Task<string> ReadRequestPathAsync(Socket socket)
    {
        var request = new StringBuilder();
        var buffer = new byte[4096];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (n == 0)
            {
                break;
            }

            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        var line = request.ToString().Split("\r\n")[0].Split(' ');
        return line.Length > 1 ? line[1] : "/";
    }
}
