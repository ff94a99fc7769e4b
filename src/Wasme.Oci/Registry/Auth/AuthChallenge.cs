using System.Diagnostics.CodeAnalysis;
using System.Net.Http.Headers;

namespace Wasme.Oci.Registry.Auth;

/// <summary>A parsed <c>WWW-Authenticate</c> challenge: <c>Basic realm=...</c> or <c>Bearer realm=...,service=...,scope=...</c>.</summary>
internal sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);
    public string? Realm => Parameters.GetValueOrDefault("realm");
    public string? Service => Parameters.GetValueOrDefault("service");
    public string? Scope => Parameters.GetValueOrDefault("scope");

    public static bool TryParse(HttpHeaderValueCollection<AuthenticationHeaderValue> headers, [NotNullWhen(true)] out AuthChallenge? challenge)
    {
        challenge = null;
        foreach (var header in headers)
        {
            var candidate = new AuthChallenge(header.Scheme, ParseParameters(header.Parameter));
            if (candidate.IsBearer)
            {
                challenge = candidate;
                return true;
            }

            challenge ??= candidate.IsBasic ? candidate : null;
        }

        return challenge is not null;
    }

    /// <summary>Parses <c>key="value", key2=value2</c>, honouring quotes (scopes contain commas).</summary>
    internal static Dictionary<string, string> ParseParameters(string? text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(text))
        {
            return result;
        }

        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
            {
                i++;
            }

            var eq = text.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }

            var key = text[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var sb = new System.Text.StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }

                    sb.Append(text[i]);
                    i++;
                }

                i++;
                value = sb.ToString();
            }
            else
            {
                var end = text.IndexOf(',', i);
                end = end < 0 ? text.Length : end;
                value = text[i..end].Trim();
                i = end;
            }

            result[key] = value;
        }

        return result;
    }
}
