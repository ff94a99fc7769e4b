using System.Text;

namespace Wasme.FilterTesting.Assertions;

/// <summary>A line diff of two texts (longest common subsequence), in the unified style: '-' expected, '+' actual.</summary>
public static class LineDiff
{
    private const int MaxLines = 2000;

    public static string Render(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var builder = new StringBuilder();
        builder.Append("--- expected\n+++ actual\n");
        if (a.Length > MaxLines || b.Length > MaxLines)
        {
            builder.Append("(too long to diff line by line)\n");
            return builder.ToString();
        }

        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                builder.Append("  ").Append(a[x]).Append('\n');
                x++;
                y++;
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                builder.Append("- ").Append(a[x++]).Append('\n');
            }
            else
            {
                builder.Append("+ ").Append(b[y++]).Append('\n');
            }
        }

        return builder.ToString();
    }
}
