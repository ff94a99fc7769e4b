using System.Buffers;

namespace Wasme.Cli.Infrastructure;

/// <summary>Quotes a word for a command line wasme prints for the user to paste into a POSIX shell.</summary>
internal static class ShellWord
{
    private static readonly SearchValues<char> Plain =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@%+=,-");

    /// <summary>The word as is when the shell reads it as one word unchanged, else in single quotes.</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return word.Length > 0 && !word.AsSpan().ContainsAnyExcept(Plain)
            ? word
            : "'" + word.Replace("'", @"'\''", StringComparison.Ordinal) + "'";
    }
}
