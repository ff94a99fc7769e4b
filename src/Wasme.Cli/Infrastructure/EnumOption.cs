using System.CommandLine;

namespace Wasme.Cli.Infrastructure;

/// <summary>
/// An option whose value is one of a few words, bound to an enum: the words are the command line's (lower case, as
/// users type them), the enum is the code's, and one table between them gives parsing, completion and help.
/// The default is not a DefaultValueFactory, whose value help would print as the enum names it ("Remote"): help shows
/// the word, and <see cref="ValueOf"/> answers the default when the option is absent.
/// </summary>
internal sealed class EnumOption<T> : Option<T>
    where T : struct, Enum
{
    private readonly IReadOnlyList<(string Word, T Value)> _words;
    private readonly T? _default;

    public EnumOption(string name, string[] aliases, IReadOnlyList<(string Word, T Value)> words, string description, T? defaultValue = null)
        : base(name, aliases)
    {
        _words = words;
        _default = defaultValue;
        Description = defaultValue is { } shown ? $"{description} [default: {WordOf(shown)}]" : description;
        HelpName = string.Join('|', words.Select(w => w.Word).Distinct(StringComparer.Ordinal));
        CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            foreach (var (word, value) in words)
            {
                if (string.Equals(word, token, StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }

            // AcceptOnlyFromAmong reports the bad word with the list of good ones.
            return default;
        };
        this.AcceptOnlyFromAmong([.. words.Select(w => w.Word)]);
    }

    /// <summary>The value given, else the default, else null (an option without default that was not given).</summary>
    public T? Find(ParseResult parseResult) => parseResult.GetResult(this) is null ? _default : parseResult.GetValue(this);

    /// <summary>The value given, else the default (for options that have one).</summary>
    public T ValueOf(ParseResult parseResult) =>
        Find(parseResult) ?? throw new InvalidOperationException($"{Name} has no default; use {nameof(Find)}");

    /// <summary>The command-line word of an enum value, for messages.</summary>
    public string WordOf(T value) => _words.First(w => EqualityComparer<T>.Default.Equals(w.Value, value)).Word;
}
