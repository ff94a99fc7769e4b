using Microsoft.Extensions.Logging;

namespace Wasme.Proxy.Tests.Infrastructure;

/// <summary>Proxy and filter logs go to the test runner's console, where a failing test's cause shows up.</summary>
public static class TestLogging
{
    public static ILoggerFactory Factory { get; } = LoggerFactory.Create(builder => builder.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
}
