using System.Text.Json;

namespace Wasme.Signing.Cosign;

/// <summary>
/// Finds a member name given twice in one object of a simple-signing claim. JSON readers disagree about such a claim:
/// System.Text.Json keeps the exact name, Go's encoding/json (cosign) the last name equal to it ignoring case. A claim
/// that one reader takes for one digest and another for a different one must be refused, not resolved.
/// </summary>
internal static class RepeatedJsonNames
{
    private const string Optional = "OPTIONAL";

    /// <summary>The first repeated name; null when none is, or when the bytes are not JSON (the claim's parser says so).</summary>
    /// <remarks>
    /// Go matches struct fields ignoring case, so outside <c>optional</c> (a map in Go: exact keys) names are compared
    /// as Go folds them; inside it, exactly.
    /// </remarks>
    public static string? Find(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var scopes = new Stack<Scope?>();
        string? lastName = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        var parent = scopes.Count == 0 ? null : scopes.Peek();
                        var structLike = scopes.Count == 0
                            || (parent is { StructLike: true } && !(scopes.Count == 1 && lastName is not null && Fold(lastName) == Optional));
                        scopes.Push(new Scope(structLike));
                        break;
                    case JsonTokenType.StartArray:
                        scopes.Push(null);
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        scopes.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        lastName = reader.GetString()!;
                        var scope = scopes.Peek()!;
                        if (!scope.Names.Add(scope.StructLike ? Fold(lastName) : lastName))
                        {
                            return lastName;
                        }

                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    // Go folds the Kelvin sign with 'k' and the long s with 's' (the two non-ASCII letters that fold to ASCII ones);
    // .NET's invariant casing maps neither, so they are mapped here.
    private static string Fold(string name) =>
        name.ToUpperInvariant().Replace('\u212A', 'K').Replace('\u017F', 'S');

    /// <summary>One object being read: the names seen, and whether Go would read it into a struct (names folded).</summary>
    private sealed record Scope(bool StructLike)
    {
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
    }
}
