using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wasme.Cli.Infrastructure;

/// <summary>
/// Every time wasme prints, in tables and in JSON and YAML alike: RFC 3339 in UTC to the second
/// (<c>2026-12-06T15:04:05Z</c>), so output sorts as text and diffs do not churn on fractions.
/// </summary>
internal static class Timestamps
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public static string ToText(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);
}

/// <summary>JSON form of <see cref="Timestamps"/>; reads any ISO 8601 time back.</summary>
internal sealed class Rfc3339Converter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Timestamps.ToText(value));
}
