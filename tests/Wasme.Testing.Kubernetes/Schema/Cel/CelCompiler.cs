using System.Text;
using System.Text.RegularExpressions;
using Antlr4.Runtime.Tree;
using Cel;
using Cel.Internal;

namespace Wasme.Testing.Kubernetes.Schema.Cel;

/// <summary>One compiled expression, or the issues that refused it, worded as cel-go words them.</summary>
internal sealed record CelCompilation(CelProgramDelegate? Program, string? Error, bool UsesOldSelf);

/// <summary>
/// Parses a rule with the Cel package and type-checks what its dynamic evaluator leaves unchecked: field selections
/// on declared objects, undeclared functions, and the result type. A thin checker, not cel-go's: where the type
/// cannot be told (macro variables, int-or-string) it lets the expression through, and evaluation judges.
/// </summary>
internal static partial class CelCompiler
{
    public static CelCompilation Compile(string expression, CelType self, CelType expected)
    {
        var issues = new List<string>();
        StartContextTree? tree = null;
        try
        {
            tree = new StartContextTree(CelLibrary.Environment.Parse(expression));
        }
        catch (CelExpressionParserException e)
        {
            issues.Add(SyntaxIssue(expression, e.Message));
        }

        if (tree is null)
        {
            return new CelCompilation(null, Render(issues), false);
        }

        var checker = new Checker(expression, self, issues);
        var type = checker.Check(tree.Root);
        if (issues.Count > 0)
        {
            return new CelCompilation(null, Render(issues), checker.UsesOldSelf);
        }

        if (type is not null && type.Name != "dyn" && type.Name != expected.Name)
        {
            return new CelCompilation(null, expected == CelType.Bool ? "cel expression must evaluate to a bool" : "must evaluate to a string", checker.UsesOldSelf);
        }

        return new CelCompilation(CelLibrary.Environment.Compile(tree.Start), null, checker.UsesOldSelf);
    }

    private static string Render(List<string> issues) => string.Join("\n", issues);

    // The Cel package says "Line 1:8 <antlr message>" with a 0-based column; cel-go says "<input>:1:9: Syntax error: ...".
    private static string SyntaxIssue(string expression, string message)
    {
        var match = ParserPosition().Match(message);
        if (!match.Success)
        {
            return $"ERROR: <input>:1:1: Syntax error: {message}";
        }

        var line = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var column = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        return Issue(expression, line, column, $"Syntax error: {match.Groups[3].Value.Trim()}");
    }

    private static string Issue(string expression, int line, int column, string message)
    {
        var lines = expression.Split('\n');
        var text = lines[Math.Clamp(line - 1, 0, lines.Length - 1)];
        var builder = new StringBuilder();
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"ERROR: <input>:{line}:{column + 1}: {message}\n | {text}\n | ");
        builder.Append('.', column).Append('^');
        return builder.ToString();
    }

    [GeneratedRegex(@"^Line (\d+):(\d+) (.*)$", RegexOptions.Singleline)]
    private static partial Regex ParserPosition();

    private sealed record StartContextTree(CelParser.StartContext Start)
    {
        public CelParser.ExprContext Root => Start.e;
    }

    private sealed class Checker(string expression, CelType self, List<string> issues)
    {
        private static readonly HashSet<string> BoolFunctions =
            ["has", "matches", "contains", "startsWith", "endsWith", "all", "exists", "exists_one", "isURL", "hasValue"];

        private static readonly HashSet<string> StringFunctions =
            ["substring", "charAt", "lowerAscii", "upperAscii", "trim", "replace", "getScheme", "getHost", "getHostname", "getPort", "getEscapedPath", "string"];

        public bool UsesOldSelf { get; private set; }

        /// <summary>The type of a subtree when it can be told, else dyn; null only for a subtree with issues.</summary>
        public CelType? Check(IParseTree node)
        {
            switch (node)
            {
                case CelParser.ExprContext e when e.op is not null:
                    Check(e.e);
                    var whenTrue = Check(e.e1);
                    var whenFalse = Check(e.e2);
                    return whenTrue is not null && whenFalse is not null && whenTrue.Name == whenFalse.Name ? whenTrue : CelType.Dyn;
                case CelParser.ConditionalOrContext or CelParser.ConditionalAndContext when node.ChildCount > 1:
                case CelParser.RelationContext when node.ChildCount > 1:
                case CelParser.LogicalNotContext:
                    CheckChildren(node);
                    return CelType.Bool;
                case CelParser.CalcContext calc when node.ChildCount > 1:
                    var left = Check(calc.calc(0));
                    Check(calc.calc(1));
                    return calc.op?.Text is "+" && left?.Name is "string" or "int" or "double" ? left : CelType.Dyn;
                case CelParser.NestedContext nested:
                    return Check(nested.e);
                case CelParser.SelectContext select:
                    return Select(select);
                case CelParser.MemberCallContext call:
                    return MemberCall(call);
                case CelParser.IndexContext index:
                    var container = Check(index.member());
                    Check(index.index);
                    return container?.Name is "map" or "list" ? container.Element : CelType.Dyn;
                case CelParser.IdentOrGlobalCallContext ident:
                    return Ident(ident);
                case CelParser.ConstantLiteralContext literal:
                    return Literal(literal.literal());
                case ITerminalNode:
                    return CelType.Dyn;
                default:
                    if (node.ChildCount == 1)
                    {
                        return Check(node.GetChild(0));
                    }

                    CheckChildren(node);
                    return CelType.Dyn;
            }
        }

        private void CheckChildren(IParseTree node)
        {
            for (var i = 0; i < node.ChildCount; i++)
            {
                Check(node.GetChild(i));
            }
        }

        private CelType? Select(CelParser.SelectContext select)
        {
            var operand = Check(select.member());
            var name = select.id.Text;
            if (operand is null)
            {
                return null;
            }

            switch (operand.Name)
            {
                case "object" when operand.Fields is { } fields:
                    if (fields.TryGetValue(name, out var field))
                    {
                        return field;
                    }

                    issues.Add(Issue(expression, select.op.Line, select.op.Column, $"undefined field '{name}'"));
                    return null;
                case "map":
                    return operand.Element;
                case "string" or "int" or "double" or "bool" or "list" or "bytes" or "duration" or "timestamp":
                    issues.Add(Issue(expression, select.op.Line, select.op.Column, $"type '{Spelling(operand)}' does not support field selection"));
                    return null;
                default:
                    return CelType.Dyn;
            }
        }

        private CelType? MemberCall(CelParser.MemberCallContext call)
        {
            var receiver = Check(call.member());
            if (call.args is not null)
            {
                foreach (var argument in call.args.expr())
                {
                    Check(argument);
                }
            }

            var name = call.id.Text;
            if (!CelLibrary.Known.Contains(name))
            {
                issues.Add(Issue(expression, call.open.Line, call.open.Column, $"undeclared reference to '{name}' (in container '')"));
                return null;
            }

            return receiver is null ? null : ResultOf(name, receiver);
        }

        private CelType? Ident(CelParser.IdentOrGlobalCallContext ident)
        {
            var name = ident.id.Text;
            if (ident.op is null)
            {
                switch (name)
                {
                    case "self":
                        return self;
                    case "oldSelf":
                        UsesOldSelf = true;
                        return self;
                    default:
                        // Macro variables and type names (string, int, map...): not tracked.
                        return CelType.Dyn;
                }
            }

            if (ident.args is not null)
            {
                foreach (var argument in ident.args.expr())
                {
                    Check(argument);
                }
            }

            if (!CelLibrary.Known.Contains(name))
            {
                issues.Add(Issue(expression, ident.op.Line, ident.op.Column, $"undeclared reference to '{name}' (in container '')"));
                return null;
            }

            return ResultOf(name, CelType.Dyn);
        }

        private static CelType ResultOf(string function, CelType receiver) => function switch
        {
            _ when BoolFunctions.Contains(function) => CelType.Bool,
            _ when StringFunctions.Contains(function) => CelType.String,
            "size" or "int" or "indexOf" or "lastIndexOf" => CelType.Int,
            "double" => CelType.Double,
            "filter" => receiver,
            _ => CelType.Dyn,
        };

        private static CelType Literal(CelParser.LiteralContext literal) => literal switch
        {
            CelParser.StringContext => CelType.String,
            CelParser.IntContext => CelType.Int,
            CelParser.DoubleContext => CelType.Double,
            CelParser.BoolTrueContext or CelParser.BoolFalseContext => CelType.Bool,
            _ => CelType.Dyn,
        };

        private static string Spelling(CelType type) => type.Name switch
        {
            "list" => $"list({Spelling(type.Element!)})",
            "duration" => "google.protobuf.Duration",
            "timestamp" => "google.protobuf.Timestamp",
            _ => type.Name,
        };
    }
}
