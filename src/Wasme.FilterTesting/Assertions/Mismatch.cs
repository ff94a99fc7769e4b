namespace Wasme.FilterTesting.Assertions;

/// <summary>One expectation that did not hold: what was checked, what the test wanted, what happened.</summary>
public sealed record Mismatch(string Subject, string Expected, string Actual, string? Diff = null);
