using System.Text.Json.Serialization;

namespace Wasme.Cli.Commands.Run;

/// <summary>
/// What <c>wasme run -o json</c> prints on stdout once every port is bound: the addresses as bound, so a script that
/// asked for port 0 learns the ports the kernel chose (docs/cli.md).
/// </summary>
internal sealed record RunListening(
    [property: JsonPropertyName("listen")] string Listen,
    [property: JsonPropertyName("upstream")] string Upstream,
    [property: JsonPropertyName("admin")] string? Admin = null);

/// <summary>One line, not indented: a script reads the first line of a command that keeps running.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunListening))]
internal sealed partial class RunJsonContext : JsonSerializerContext;
