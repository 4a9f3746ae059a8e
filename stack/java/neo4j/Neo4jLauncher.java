// Starts Neo4j 5.26 Community as an embedded DBMS with the Bolt connector.
//
// Run as a single-file program (no build step):
//   java -cp <class path of stack/java/neo4j/pom.xml> Neo4jLauncher.java HOME CONF
// CONF is a neo4j.conf written by `graphcdp stack up` (Bolt address, page cache, plugin
// directory, auth). Prints "GRAPHCDP-NEO4J-READY" once the default database answers, and
// shuts the DBMS down cleanly on SIGTERM.
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public final class Neo4jLauncher {
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Neo4jLauncher HOME CONF");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path conf = Path.of(args[1]).toAbsolutePath();
        DatabaseManagementService dbms =
                new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("GRAPHCDP-NEO4J-STOPPING");
            dbms.shutdown();
            stopped.countDown();
        }, "graphcdp-neo4j-shutdown"));
        dbms.database("neo4j").executeTransactionally("RETURN 1");
        System.out.println("GRAPHCDP-NEO4J-READY");
        System.out.flush();
        stopped.await();
    }
}
