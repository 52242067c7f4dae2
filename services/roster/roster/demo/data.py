"""The demo county's figures and names: Shaoshan's shape (韶山, seed 002) and the words its grids and deputies are
made from."""
from __future__ import annotations

COUNTY = "韶山市"
COUNTY_CODE = "SS"
# Shaoshan's four townships, their village/community grids (38 in all) and how many of those are communities (社区).
TOWNSHIPS = ("清溪镇", "银田镇", "韶山乡", "杨林乡")
VILLAGES_PER_TOWNSHIP = (10, 10, 9, 9)
COMMUNITIES_PER_TOWNSHIP = (4, 2, 1, 1)
GROUP_GRIDS = 218
DEPUTIES = 414
# Deputy levels: "市、乡两级代表" (002); Shaoshan is a county-level city, so its own deputies are "county" here,
# Xiangtan's are "city"; a handful of provincial deputies and one national deputy live in the county too.
LEVEL_COUNTS = {"township": 310, "county": 88, "city": 10, "provincial": 5, "national": 1}
PARTY_DELEGATES = 41  # ~10 %: "两代表" schemes put party-congress delegates into the same grids (003)
# The township and county congresses elected in the 2026 round: a five-year term that is current today
# (the earlier 2021-12-01 → 2026-11-30 term had ended while every demo deputy still showed as serving).
TERM_START, TERM_END = "2026-12-01", "2031-11-30"
SPECIALITIES = ("law", "health", "agriculture", "education", "construction", "social_work", "business")

# Village and community names: a few of each township's real ones, the rest made from syllables.
KNOWN_VILLAGES = {
    "清溪镇": ("清溪村", "黄金村", "长湖村", "石屏村"),
    "银田镇": ("银田村", "红旗村", "双狮村", "大坪村"),
    "韶山乡": ("韶山村", "韶阳村", "黄田村", "湘韶村", "韶源村"),
    "杨林乡": ("杨林村", "石安村", "楠竹村"),
}
KNOWN_COMMUNITIES = {
    "清溪镇": ("火车站社区", "如意社区", "韶峰社区"),
    "银田镇": ("银田社区",),
    "韶山乡": ("韶山社区",),
    "杨林乡": ("杨林社区",),
}
VILLAGE_FIRST = "东西南北大小新石竹桃龙凤金青白红永双长和兴光云梅荷柳枫松桂乐安泉花"
VILLAGE_SECOND = "冲坪湖塘田山桥湾岭峰源溪泉林坡港屋园江岩坳垅"
COMMUNITY_STEMS = ("东风", "友谊", "迎宾", "银杏", "向阳", "建设", "和平", "团结", "新民", "永义", "幸福",
                   "光明", "滴水", "韶河", "学堂", "枫林")
ESTATE_STEMS = ("翠竹", "银杏", "梧桐", "金桂", "锦绣", "阳光", "滨河", "清溪", "韶峰", "东方", "康居", "桃源",
                "福苑", "丽景", "龙湾", "紫薇", "如意", "芙蓉", "湘韵", "书香", "怡园", "松柏", "兰亭", "南岸")
ESTATE_SUFFIXES = ("小区", "小区", "小区", "花园", "家园", "苑")
OLD_ESTATE_STEMS = ("供销社宿舍", "粮站宿舍", "老街", "农机厂宿舍", "卫生院宿舍", "邮电宿舍", "水泥厂宿舍",
                    "老车站", "电影院宿舍")
INDUSTRIAL_NAMES = ("韶山高新区一号片区", "韶山高新区二号片区", "食品工业园片区", "红色文创产业园", "湘韶工业小区")
MIGRANT_STEMS = ("园区务工人员公寓", "外来务工人员聚居点", "高新区员工宿舍区")

SURNAMES = ("毛" * 8 + "李" * 6 + "王" * 5 + "张" * 5 + "刘" * 6 + "陈" * 5 + "杨" * 4 + "彭" * 4 + "谭" * 4
            + "邹" * 3 + "周" * 4 + "罗" * 3 + "唐" * 3 + "曾" * 3 + "胡" * 3 + "黄" * 3 + "易" * 2 + "贺" * 2
            + "龙" * 2 + "钟" * 2 + "赵" * 2 + "吴" * 2 + "蒋" + "文" + "郭" + "许" + "袁" + "汤" + "严" + "颜"
            + "丁" + "肖" * 2 + "朱" * 2 + "冯" + "欧")
MALE_CHARS = "建国军华明伟强平志勇杰涛斌超刚辉海波林峰文武德安春松亮永光新宇俊鹏飞汉湘韶中正立成"
FEMALE_CHARS = "红梅丽芳霞燕英华玲秀兰娟静敏艳慧晓雪琴桂莲珍月萍春湘婷颖瑶丹洁"

POSITIONS = {
    # (title, speciality it suggests or None)
    "township": (("村党支部书记", None), ("村委会主任", None), ("村民小组长", None), ("社区党委书记", "social_work"),
                 ("社区居委会主任", "social_work"), ("网格员", "social_work"), ("种植大户", "agriculture"),
                 ("合作社理事长", "agriculture"), ("家庭农场主", "agriculture"), ("养殖专业户", "agriculture"),
                 ("镇卫生院医生", "health"), ("村卫生室乡村医生", "health"), ("小学教师", "education"),
                 ("退休教师", "education"), ("个体工商户", "business"), ("农家乐经营者", "business"),
                 ("民宿经营者", "business"), ("建筑队负责人", "construction"), ("人民调解员", "law"),
                 ("司法所工作人员", "law"), ("镇农技站站长", "agriculture"), ("村妇联主席", "social_work")),
    "county": (("镇党委书记", None), ("镇长", None), ("乡人大主席", None), ("市直单位负责人", None),
               ("中学校长", "education"), ("市人民医院医生", "health"), ("律师事务所主任", "law"),
               ("企业董事长", "business"), ("建筑公司经理", "construction"), ("合作社理事长", "agriculture"),
               ("村党总支书记", None), ("社区党委书记", "social_work"), ("市中医医院护士长", "health"),
               ("景区讲解员", "business"), ("市场监管所所长", "law")),
    "city": (("企业董事长", "business"), ("市人大常委会委员", "law"), ("中学校长", "education"),
             ("医院院长", "health"), ("村党总支书记", None)),
    "provincial": (("市人民政府负责人", None), ("农业企业董事长", "agriculture"), ("村党委书记", None),
                   ("红色教育基地负责人", "education")),
    "national": (("村党委书记", "agriculture"),),
}
PARTY_POSITIONS = (("镇党委委员", None), ("村党支部书记", None), ("社区党委书记", "social_work"),
                   ("市直机关党支部书记", None), ("退役军人服务站站长", "social_work"), ("非公企业党支部书记", "business"))
FEMALE_TITLES = ("村妇联主席", "市中医医院护士长")
PLEDGES = (
    "认真倾听群众呼声，件件有回音。",
    "扎根网格，做群众身边的贴心人。",
    "每月走访不少于十户，民情不过夜。",
    "群众的事再小也是大事，马上办、用心办。",
    "当好监督员、宣传员、信息员、调解员、服务员。",
    "把群众的急难愁盼当作自己的头等大事。",
    "依法履职，为民代言，接受选民监督。",
    "定格定责，守好网格，服务好每一户。",
    "带头化解矛盾纠纷，矛盾不上交。",
    "推动民生实事落地，让群众看得见、摸得着。",
    "坚持每月接待选民，有求必应，有诺必践。",
    "发挥专业所长，为乡亲们办实事、解难题。",
    "结对帮扶困难家庭，一户一策，帮到实处。",
    "把法律送进网格，引导群众依法表达诉求。",
    "做到事事有着落、件件有回音、群众满意。",
)
MOBILE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "157", "158", "159", "166", "173", "176", "177", "178", "180", "181",
                   "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199")
DIGITS = "零一二三四五六七八九"
