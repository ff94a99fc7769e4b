using Wasme.FilterTesting.Execution;

namespace Wasme.FilterTesting.Reporting;

/// <summary>The results of one test file, in case order.</summary>
public sealed record FileResult(string Path, IReadOnlyList<CaseResult> Cases);
