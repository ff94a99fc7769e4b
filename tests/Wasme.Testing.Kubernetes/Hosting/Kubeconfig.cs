namespace Wasme.Testing.Kubernetes.Hosting;

/// <summary>Writes the kubeconfig that points kubectl (or any client) at the test server.</summary>
internal static class Kubeconfig
{
    public const string ContextName = "wasme-test";

    public static string Render(Uri server, string authorityPem, string defaultNamespace, string token) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: {ContextName}
          cluster:
            server: {server.ToString().TrimEnd('/')}
            certificate-authority-data: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(authorityPem))}
        users:
        - name: {ContextName}
          user:
            token: {token}
        contexts:
        - name: {ContextName}
          context:
            cluster: {ContextName}
            user: {ContextName}
            namespace: {defaultNamespace}
        current-context: {ContextName}
        preferences: {"{}"}

        """;

    /// <summary>Writes atomically (temp file + rename) so a reader never sees half a file.</summary>
    public static void Write(string path, Uri server, string authorityPem, string token, string defaultNamespace = "default")
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temp, Render(server, authorityPem, defaultNamespace, token));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite); // it holds a bearer token
        }

        File.Move(temp, path, overwrite: true);
    }
}
