// The VisualVM heap library as an oracle: biggest objects by retained size (and any objects asked for)
// as JSON lines, its size model per class, and the time it took. Used by tests/visualvm.py.
//   java -cp org-graalvm-visualvm-lib-jfluid-heap.jar VisualVMHeap.java DUMP TOP [ID ...]
import java.io.File;
import java.util.List;
import org.graalvm.visualvm.lib.jfluid.heap.Heap;
import org.graalvm.visualvm.lib.jfluid.heap.HeapFactory;
import org.graalvm.visualvm.lib.jfluid.heap.Instance;
import org.graalvm.visualvm.lib.jfluid.heap.JavaClass;

public class VisualVMHeap {
    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        Heap heap = HeapFactory.createHeap(new File(args[0]));
        int top = Integer.parseInt(args[1]);
        long histoBytes = heap.getSummary().getTotalLiveBytes();
        long t1 = System.nanoTime();
        List<Instance> big = heap.getBiggestObjectsByRetainedSize(top);
        long t2 = System.nanoTime();
        for (Instance i : big) {
            line("biggest", i);
        }
        for (JavaClass c : heap.getAllClasses()) {  // its size model: instance size and class-object size
            Instance mirror = heap.getInstanceByID(c.getJavaClassId());
            System.out.printf("{\"kind\": \"class\", \"id\": %d, \"name\": \"%s\", \"instance_size\": %d, \"mirror_size\": %d}%n",
                    c.getJavaClassId(), c.getName(), c.getInstanceSize(), mirror == null ? -1 : mirror.getSize());
        }
        for (int k = 2; k < args.length; k++) {
            Instance i = heap.getInstanceByID(Long.decode(args[k]));
            if (i != null) line("object", i);
        }
        System.out.printf("{\"kind\": \"timing\", \"open_s\": %.3f, \"retained_s\": %.3f, \"live_bytes\": %d}%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, histoBytes);
    }

    static void line(String kind, Instance i) {
        System.out.printf("{\"kind\": \"%s\", \"id\": %d, \"class\": \"%s\", \"shallow_bytes\": %d, \"retained_bytes\": %d}%n",
                kind, i.getInstanceId(), i.getJavaClass().getName(), i.getSize(), i.getRetainedSize());
    }
}
