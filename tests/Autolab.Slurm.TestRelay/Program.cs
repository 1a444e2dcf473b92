using System.Globalization;
using System.Net;
using System.Net.Sockets;

// Usage: Autolab.Slurm.TestRelay <listenPort> <targetPort> <cutAfterBytes>
// Forwards 127.0.0.1:<listenPort> to 127.0.0.1:<targetPort>. When the bytes sent from the server side
// (summed over all connections) pass <cutAfterBytes>, every connection is closed at once and the relay
// exits. Prints "listening" when ready and "cut" when it cut.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: Autolab.Slurm.TestRelay <listenPort> <targetPort> <cutAfterBytes>");
    return 2;
}

var listenPort = int.Parse(args[0], CultureInfo.InvariantCulture);
var targetPort = int.Parse(args[1], CultureInfo.InvariantCulture);
var cutAfter = long.Parse(args[2], CultureInfo.InvariantCulture);
long fromServer = 0;
var sockets = new List<Socket>();
var cut = new CancellationTokenSource();
var listener = new TcpListener(IPAddress.Loopback, listenPort);
listener.Start();
Console.WriteLine("listening");
Console.Out.Flush();

_ = Task.Run(async () =>
{
    while (!cut.IsCancellationRequested)
    {
        Socket client;
        try
        {
            client = await listener.AcceptSocketAsync(cut.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await server.ConnectAsync(IPAddress.Loopback, targetPort);
        lock (sockets)
        {
            sockets.Add(client);
            sockets.Add(server);
        }

        _ = Pump(client, server, count: false);
        _ = Pump(server, client, count: true);
    }
});

async Task Pump(Socket from, Socket to, bool count)
{
    var buffer = new byte[16 * 1024];
    try
    {
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, cut.Token);
            if (read == 0)
            {
                to.Shutdown(SocketShutdown.Send);
                return;
            }

            if (count && Interlocked.Add(ref fromServer, read) > cutAfter)
            {
                // Forward only up to the cut point, then tear everything down.
                var keep = read - (int)(Interlocked.Read(ref fromServer) - cutAfter);
                if (keep > 0)
                {
                    await to.SendAsync(buffer.AsMemory(0, keep), SocketFlags.None);
                }

                Cut();
                return;
            }

            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cut.Token);
        }
    }
    catch (Exception) when (cut.IsCancellationRequested)
    {
    }
    catch (SocketException)
    {
    }
}

void Cut()
{
    if (cut.IsCancellationRequested)
    {
        return;
    }

    cut.Cancel();
    lock (sockets)
    {
        foreach (var socket in sockets)
        {
            socket.Close(0);
        }
    }

    listener.Stop();
    Console.WriteLine("cut");
    Console.Out.Flush();
}

try
{
    await Task.Delay(Timeout.Infinite, cut.Token);
}
catch (OperationCanceledException)
{
}

return 0;
