import json, time
from gridsafe.regions.models import Region
def test_sizes(db):
    for lvl in (1,2,3,4):
        r = Region.objects.filter(level=lvl).first()
        print(lvl, len(json.dumps(r.geometry)))
    t=time.process_time()
    for _ in range(50): list(Region.objects.filter(level=1))
    print("county fetch x50 cpu", time.process_time()-t)
