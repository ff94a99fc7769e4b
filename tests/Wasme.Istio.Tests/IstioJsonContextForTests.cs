using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Wasme.Istio.Tests;

internal static class IstioJsonContextForTests
{
    /// <summary>Reflection-based options, so enums serialize through their own [JsonConverter] attributes.</summary>
    public static JsonSerializerOptions Options { get; } = new() { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
}
